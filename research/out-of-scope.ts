/**
 * `node dist/research/out-of-scope.js [--max-per-class N --epochs N --width N --size N --classes a,b,...]`:
 * leave-one-class-out measurement of the out-of-scope scores, calibration and the review flag
 * (research/RESULTS.md, "Trustworthy answers"). For each left-out class it trains a model on the other
 * classes with FAST settings (not the defaults), then scores the left-out class's images as unseen
 * cells against the held-out test split of the others. Thresholds come from the validation split
 * (the calibration images), as in `wbc train`. Prints one JSON line per run and a Markdown summary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LABELLED_DATA } from '../bench/fixture';
import { dihedralViews } from '../src/augment/policy';
import { scanImageFolder } from '../src/data/image-folder';
import { loadImages } from '../src/data/load-images';
import { PixelCache, defaultCacheDir } from '../src/data/pixel-cache';
import { networkSpec, storedSizeFor } from '../src/model/architecture';
import { loadModel, newEngine, type ModelInfo } from '../src/model/model-folder';
import { setUpRuntime } from '../src/native/runtime';
import { train } from '../src/train/train';
import { expectedCalibrationError } from '../src/trust/ece';
import { KNN_BANK_LIMIT, KnnScorer, MahalanobisScorer, thresholdForRate } from '../src/trust/out-of-scope';
import { averageLogits, scoreViews, topLabel, type ViewScores } from '../src/model/scores';
import { softmaxRows } from '../src/model/views';
import { libtorchPredictor } from '../src/runtime/predictor';
import { trustedScores, trustFor, type ViewChoice } from '../src/trust/trust-model';
import { Rng } from '../src/util/rng';
import { auroc, energyScores, maxSoftmaxScores } from './out-of-scope-baselines';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: LABELLED_DATA },
    'max-per-class': { type: 'string', default: '300' },
    epochs: { type: 'string', default: '10' },
    width: { type: 'string', default: '16' },
    size: { type: 'string', default: '64' },
    tta: { type: 'string', default: '8' },
    classes: { type: 'string', default: 'bands,metamyelocytes,myelocytes,neutrophils,eosinophils,lymphocytes,basophils,blasts,monocytes' },
    threads: { type: 'string' },
    'cost-only': { type: 'boolean', default: false },
  },
});
const DATA = values.data!;
const MAX_PER_CLASS = Number(values['max-per-class']);
const RATE = 0.05;
const THREADS = values.threads === undefined ? undefined : Number(values.threads);
const CACHE = defaultCacheDir();

type Scores = Record<string, { validation: Float32Array; test: Float32Array; unseen: Float32Array }>;

/** A folder of links to every class folder but `leftOut`. */
function folderWithout(leftOut: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wbc-loco-${leftOut}-`));
  for (const name of fs.readdirSync(DATA)) {
    if (name !== leftOut && fs.statSync(path.join(DATA, name)).isDirectory()) fs.symlinkSync(path.join(DATA, name), path.join(dir, name));
  }
  return dir;
}

async function pixelsOf(files: string[], storedSize: number) {
  const loaded = await loadImages(files, storedSize, { cache: new PixelCache(CACHE) });
  return { pixels: loaded.pixels, indices: Int32Array.from(loaded.loaded.keys()), kept: loaded.loaded };
}

function percentFlagged(scores: Float32Array, threshold: number): number {
  return scores.filter((s) => s > threshold).length / scores.length;
}

/** Each score standardised by its in-scope validation mean and deviation, then averaged. */
function combined(...parts: Scores[string][]): Scores[string] {
  const standardise = (part: Scores[string]) => {
    const mean = part.validation.reduce((sum, x) => sum + x, 0) / part.validation.length;
    const sd = Math.sqrt(part.validation.reduce((sum, x) => sum + (x - mean) ** 2, 0) / part.validation.length) || 1;
    return (values: Float32Array) => values.map((x) => (x - mean) / sd);
  };
  const scalers = parts.map(standardise);
  const mix = (name: 'validation' | 'test' | 'unseen') => {
    const sum = new Float32Array(parts[0][name].length);
    parts.forEach((part, i) => scalers[i](part[name]).forEach((z, j) => { sum[j] += z / parts.length; }));
    return sum;
  };
  return { validation: mix('validation'), test: mix('test'), unseen: mix('unseen') };
}

async function leaveOut(leftOut: string) {
  const data = folderWithout(leftOut);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `wbc-loco-model-${leftOut}-`));
  const started = Date.now();
  const { info: trained } = await train(data, {
    out, force: true, maxPerClass: MAX_PER_CLASS, epochs: Number(values.epochs), width: Number(values.width),
    inputSize: Number(values.size), testTimeViews: Number(values.tta) as ViewChoice, cacheDir: CACHE, threads: THREADS,
    onEvent: (event) => { if (event.type === 'epoch') process.stderr.write(`${leftOut}: epoch ${event.record.epoch} ${event.record.seconds.toFixed(0)} s, validation ${(event.record.validationAccuracy * 100).toFixed(1)}%\n`); },
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const { info, engine, outOfScopeBytes } = loadModel(out, setUpRuntime({ threads: THREADS }));
  const classes = info.classes.length;
  const size = engine.featureSize();
  const views = info.testTimeViews;
  const absolute = (files: string[]) => files.map((file) => path.join(data, file));
  const labelOf = (file: string) => info.classes.indexOf(file.split(path.sep)[0]);

  const unseenFiles = new Rng(1).shuffle(scanImageFolder(DATA).images.filter((image) => image.path.split(path.sep).at(-2) === leftOut).map((image) => image.path)).slice(0, MAX_PER_CLASS);
  const sets = {
    train: await pixelsOf(absolute(trained.split.train), info.input.storedSize),
    validation: await pixelsOf(absolute(trained.split.validation), info.input.storedSize),
    test: await pixelsOf(absolute(trained.split.test), info.input.storedSize),
    unseen: await pixelsOf(unseenFiles, info.input.storedSize),
  };
  const trainFeatures = await engine.features(sets.train.pixels, sets.train.indices, null);
  const trainLabels = Int32Array.from(sets.train.kept, (i) => labelOf(trained.split.train[i]));
  const scorers = {
    'k-NN (k=10)': KnnScorer.fit(trainFeatures, size, { k: 10 }),
    'k-NN (k=1)': KnnScorer.fit(trainFeatures, size, { k: 1 }),
    'relative Mahalanobis': MahalanobisScorer.fit(trainFeatures, trainLabels, classes, size),
  };
  const temperature = info.calibration!.byViews[String(views)].temperature;
  const scored = {
    validation: await scoreViews(engine, sets.validation.pixels, sets.validation.indices, views),
    test: await scoreViews(engine, sets.test.pixels, sets.test.indices, views),
    unseen: await scoreViews(engine, sets.unseen.pixels, sets.unseen.indices, views),
  };
  const scores: Scores = {};
  const each = (fn: (s: ViewScores) => Float32Array) => ({ validation: fn(scored.validation), test: fn(scored.test), unseen: fn(scored.unseen) });
  for (const [name, scorer] of Object.entries(scorers)) {
    scores[name] = { validation: await scorer.score(scored.validation.features), test: await scorer.score(scored.test.features), unseen: await scorer.score(scored.unseen.features) };
  }
  scores['energy'] = each((s) => energyScores(averageLogits(s.logitsPerView), classes));
  scores['max-softmax'] = each((s) => maxSoftmaxScores(softmaxRows(averageLogits(s.logitsPerView), classes, temperature), classes));
  scores['k-NN + energy'] = combined(scores['k-NN (k=10)'], scores['energy']);

  const detection = Object.fromEntries(Object.entries(scores).map(([name, s]) => {
    const threshold = thresholdForRate(s.validation, RATE);
    return [name, { auroc: auroc(s.unseen, s.test), unseenFlagged: percentFlagged(s.unseen, threshold), testFlagged: percentFlagged(s.test, threshold) }];
  }));

  // Calibration and review on the in-scope test split of this model.
  const testTruth = Int32Array.from(sets.test.kept, (i) => labelOf(trained.split.test[i]));
  const testLogits = averageLogits(scored.test.logitsPerView);
  const before = topLabel(softmaxRows(testLogits, classes, 1), classes, testTruth);
  const after = topLabel(softmaxRows(testLogits, classes, temperature), classes, testTruth);
  const accuracy = after.correct.filter(Boolean).length / after.correct.length;
  const order = Array.from(after.confidences.keys()).sort((a, b) => after.confidences[a] - after.confidences[b]);
  const acceptedAt = (share: number) => {
    const accepted = order.slice(Math.round(share * order.length));
    return accepted.filter((i) => after.correct[i]).length / accepted.length;
  };

  // Classify's cost: the old path (probabilities per view, averaged) against the new one (logits + features, calibrated, k-NN score).
  const trust = trustFor(info, outOfScopeBytes, views as ViewChoice);
  const timing = { old: [] as number[], new: [] as number[] };
  for (let repeat = 0; repeat < 3; repeat += 1) {
    let t = process.hrtime.bigint();
    const { test } = sets;
    for (const view of dihedralViews(test.indices.length, views)) await engine.predict(test.pixels, test.indices, view);
    timing.old.push(Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    trustedScores(await libtorchPredictor(engine).scoreViews(test.pixels, test.indices, views), trust);
    timing.new.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const best = (xs: number[]) => Math.min(...xs);
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
  return {
    leftOut, trainSeconds, keptEpoch: trained.training.keptEpoch, testAccuracy: accuracy, temperature,
    validation: sets.validation.indices.length, test: sets.test.indices.length, unseen: sets.unseen.indices.length,
    detection,
    eceBefore: expectedCalibrationError(before.confidences, before.correct),
    eceAfter: expectedCalibrationError(after.confidences, after.correct),
    acceptedAccuracy: Object.fromEntries([0, 0.1, 0.2, 0.25, 0.3].map((share) => [share, acceptedAt(share)])),
    review: info.calibration!.byViews[String(views)].review,
    classifySecondsOld: best(timing.old), classifySecondsNew: best(timing.new),
  };
}

/**
 * Classify's extra cost with the default model's shapes (width 16, 64 px, 8 views, a full 4,096-image
 * k-NN bank of 128 features), on untrained weights and random pixels (the work does not depend on the values).
 */
async function defaultShapeCost(): Promise<void> {
  const images = 256;
  const input = { inputSize: 64, storedSize: storedSizeFor(64, 0.75), mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const engine = newEngine(networkSpec(16, 9), input, { device: 'cpu', bfloat16: setUpRuntime({}).bfloat16, seed: 1 });
  const rng = new Rng(2);
  const pixels = Uint8Array.from({ length: images * input.storedSize ** 2 * 3 }, () => rng.int(256));
  const indices = Int32Array.from({ length: images }, (_, i) => i);
  const bank = Float32Array.from({ length: KNN_BANK_LIMIT * engine.featureSize() }, () => rng.next());
  const info = { classes: new Array(9).fill('c'), reviewThreshold: 0.5, outOfScope: { method: 'knn', featureSize: engine.featureSize(), neighbours: 10, threshold: 1, file: '' } } as unknown as ModelInfo;
  const trust = { ...trustFor(info, new Uint8Array(bank.buffer), 8), temperature: 1 };
  const old: number[] = [];
  const now: number[] = [];
  for (let repeat = 0; repeat < 3; repeat += 1) {
    let t = process.hrtime.bigint();
    const sum = new Float32Array(images * 9);
    for (const view of dihedralViews(images, 8)) (await engine.predict(pixels, indices, view)).forEach((p, i) => { sum[i] += p / 8; });
    old.push(Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    trustedScores(await libtorchPredictor(engine).scoreViews(pixels, indices, 8), trust);
    now.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const oldBest = Math.min(...old);
  const newBest = Math.min(...now);
  console.log(`default shapes, ${images} cached images x 8 views: probabilities averaged ${oldBest.toFixed(3)} s, calibrated + k-NN out-of-scope score ${newBest.toFixed(3)} s, ratio ${(newBest / oldBest).toFixed(3)} (runs ${old.map((x) => x.toFixed(2)).join('/')} vs ${now.map((x) => x.toFixed(2)).join('/')})`);
}

async function main(): Promise<void> {
  if (values['cost-only']) return defaultShapeCost();
  console.log(`# leave-one-class-out: --max-per-class ${MAX_PER_CLASS} --epochs ${values.epochs} --width ${values.width} --size ${values.size} --tta ${values.tta} (FAST settings, not the defaults); rate ${RATE}`);
  const results: Awaited<ReturnType<typeof leaveOut>>[] = [];
  for (const leftOut of values.classes!.split(',')) {
    const result = await leaveOut(leftOut);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  const methods = Object.keys(results[0].detection);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(`\n| left out | ${methods.map((m) => `${m} AUROC / flagged`).join(' | ')} |`);
  console.log(`|---|${methods.map(() => '---').join('|')}|`);
  for (const r of results) console.log(`| ${r.leftOut} | ${methods.map((m) => `${r.detection[m].auroc.toFixed(3)} / ${pct(r.detection[m].unseenFlagged)}`).join(' | ')} |`);
  const mean = (f: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
  console.log(`| **mean** | ${methods.map((m) => `**${mean((r) => r.detection[m].auroc).toFixed(3)}** / ${pct(mean((r) => r.detection[m].unseenFlagged))}`).join(' | ')} |`);
  console.log(`\nin-scope test images flagged at the validation threshold: ${methods.map((m) => `${m} ${pct(mean((r) => r.detection[m].testFlagged))}`).join(', ')}`);
  console.log(`ECE on the in-scope test split: before ${mean((r) => r.eceBefore).toFixed(3)}, after ${mean((r) => r.eceAfter).toFixed(3)} (mean over runs); test accuracy ${pct(mean((r) => r.testAccuracy))}`);
  console.log(`accepted accuracy by share flagged (least confident first): ${[0, 0.1, 0.2, 0.25, 0.3].map((s) => `${pct(s)} -> ${pct(mean((r) => r.acceptedAccuracy[s]))}`).join(', ')}`);
  console.log(`classify scoring time, ${results[0].test} images x ${values.tta} views: old ${mean((r) => r.classifySecondsOld).toFixed(3)} s, new ${mean((r) => r.classifySecondsNew).toFixed(3)} s, ratio ${(mean((r) => r.classifySecondsNew) / mean((r) => r.classifySecondsOld)).toFixed(3)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
