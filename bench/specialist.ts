/**
 * `node dist/bench/specialist.js <main-model> <specialist-model> [--data DIR]`: would a second-stage
 * specialist for a hard group of classes (issue 12) beat the main model on its own test split?
 *
 * The specialist is a `wbc train` model of a folder holding only the group's class folders (links to
 * them), with the same seed and fractions as the main model, so its test images are the main model's
 * test images of those classes. Both models score the main model's whole test split (calibrated,
 * their own views); the combination keeps the main model's probability of the group as a whole and
 * splits it among the group's classes as the specialist does (also for images of other classes, as
 * classify would). Printed: accuracy, macro-F1 and the group's F1s for the main model, the combination,
 * and the main model with the two opinions averaged within the group.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LABELLED_DATA } from './fixture';
import { loadImages } from '../src/data/load-images';
import { PixelCache, defaultCacheDir } from '../src/data/pixel-cache';
import { computeMetrics } from '../src/evaluate/metrics';
import { loadModel, type LoadedModel, type ModelInfo } from '../src/model/model-folder';
import { argmaxRows } from '../src/model/predict';
import { setUpRuntime } from '../src/native/runtime';
import { scoreTrusted, trustFor } from '../src/trust/trust-model';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: LABELLED_DATA },
  },
});

const runtime = setUpRuntime({});
const cache = new PixelCache(defaultCacheDir());

/** Calibrated probabilities of `files` (paths relative to the data folder) by a loaded model. */
async function probabilitiesOf(model: LoadedModel, files: string[]): Promise<{ info: ModelInfo; probabilities: Float32Array }> {
  const { info, engine, outOfScopeBytes } = model;
  const loaded = await loadImages(files.map((file) => path.join(values.data!, file)), info.input.storedSize, { cache });
  if (loaded.loaded.length !== files.length) throw new Error(`${files.length - loaded.loaded.length} test images could not be read`);
  const trust = trustFor(info, outOfScopeBytes, info.testTimeViews);
  return { info, probabilities: (await scoreTrusted(engine, loaded.pixels, Int32Array.from(loaded.loaded.keys()), trust)).probabilities };
}

function report(name: string, classes: string[], truth: Int32Array, probabilities: Float32Array, group: string[]): void {
  const metrics = computeMetrics(classes, truth, argmaxRows(probabilities, classes.length));
  const groupF1 = group.map((c) => `${c} ${metrics.perClass[c].f1.toFixed(3)}`).join(', ');
  console.log(`${name}: accuracy ${(metrics.accuracy * 100).toFixed(2)}%, macro-F1 ${metrics.macroF1.toFixed(4)}; F1 ${groupF1}`);
}

async function main(): Promise<void> {
  const [mainDir, specialistDir] = positionals;
  if (!mainDir || !specialistDir) throw new Error('usage: specialist <main-model> <specialist-model> [--data DIR]');
  const mainModel = loadModel(mainDir, runtime);
  const test = mainModel.info.split!.test;
  const main = await probabilitiesOf(mainModel, test);
  const specialist = await probabilitiesOf(loadModel(specialistDir, runtime), test);
  const classes = main.info.classes;
  const group = specialist.info.classes;
  const columns = group.map((c) => classes.indexOf(c));
  if (columns.includes(-1)) throw new Error(`the specialist's classes (${group.join(', ')}) must all be the main model's`);
  const truth = Int32Array.from(test, (file) => classes.indexOf(file.split(/[\\/]/)[0]));
  const n = truth.length;
  const k = classes.length;
  const g = group.length;
  console.log(`${n} test images of ${mainDir}; specialist ${specialistDir} on ${group.join(', ')}`);
  report('main model', classes, truth, main.probabilities, group);
  for (const [name, weight] of [['specialist splits the group', 1], ['main and specialist averaged within the group', 0.5]] as const) {
    const combined = main.probabilities.slice();
    for (let i = 0; i < n; i += 1) {
      const mass = columns.reduce((sum, c) => sum + main.probabilities[i * k + c], 0);
      columns.forEach((c, j) => {
        const mainShare = mass > 0 ? main.probabilities[i * k + c] / mass : 1 / g;
        combined[i * k + c] = mass * ((1 - weight) * mainShare + weight * specialist.probabilities[i * g + j]);
      });
    }
    report(name, classes, truth, combined, group);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
