import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { classify } from '../../src/classifier/classify';
import { parseCsv } from '../../src/classify/csv';
import { scanImageFolder } from '../../src/data/image-folder';
import { loadImages } from '../../src/data/load-images';
import { metadataToFacts } from '../../src/runtime/metadata';
import { LOGITS_NAME } from '../../src/runtime/onnx-graph';
import { readModelHeader } from '../../src/runtime/onnx-proto';
import { onnxPredictor } from '../../src/runtime/onnx-predictor';
import { onnxSession, runImages } from '../../src/runtime/onnx-session';
import { loadModel } from '../../src/model/model-folder';
import { libtorchPredictor, type Predictor } from '../../src/runtime/predictor';
import { averageLogits } from '../../src/model/scores';
import { softmaxRows } from '../../src/model/views';
import { setUpRuntime } from '../../src/native/runtime';
import { wbc } from '../helpers/cli';
import { LABELLED, UNLABELLED, requireData, skipWithoutData } from '../helpers/data';
import { makeTempDir } from '../helpers/images';

const PER_CLASS = 34; // about 300 images

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('on real images, the exported model matches LibTorch, and the default engine (onnx) agrees with --engine libtorch', { skip: skipWithoutData(LABELLED, UNLABELLED) }, async () => {
  requireData(LABELLED, UNLABELLED);
  const work = makeTempDir();
  const modelDir = path.join(work, 'model');
  const trained = wbc(['train', LABELLED, '--out', modelDir, '--max-per-class', '40', '--epochs', '3', '--width', '8', '--size', '48', '--tta', '4', '--threads', '1']);
  assert.equal(trained.status, 0, trained.stderr);
  const onnxFile = path.join(work, 'model.onnx');
  assert.equal(wbc(['export', modelDir, '--onnx', onnxFile]).status, 0);

  setUpRuntime({ device: 'cpu', threads: 1 });
  const model = loadModel(modelDir, { device: 'cpu', bfloat16: false });
  // A trained model is calibrated: the file carries its temperatures and review thresholds by view count.
  const facts = metadataToFacts(readModelHeader(fs.readFileSync(onnxFile)).metadata);
  const byViews = model.info.calibration?.byViews ?? {};
  assert.ok(facts.calibrated && Object.keys(byViews).length > 0);
  for (const [views, fitted] of Object.entries(byViews)) {
    assert.equal(facts.temperatures[views], fitted.temperature);
    assert.equal(facts.reviewThresholds[views], fitted.review.threshold);
  }
  const folder = scanImageFolder(LABELLED);
  const files = folder.classes.flatMap((_, label) => folder.images.filter((image) => image.label === label).slice(-PER_CLASS).map((image) => image.path));
  const { pixels, loaded } = await loadImages(files, model.info.input.storedSize, {});
  assert.ok(loaded.length >= 250, `${loaded.length} images`);
  const indices = Int32Array.from(loaded.keys());

  // Logits: LibTorch's pooled features through its linear head vs ONNX Runtime on the written file.
  const session = await onnxSession(fs.readFileSync(onnxFile), 1);
  const onnxLogits = (await runImages(session, pixels, loaded.length, model.info.input.storedSize, [LOGITS_NAME]))[LOGITS_NAME];
  await session.release();
  const features = await model.engine.features(pixels, indices, null);
  const size = model.engine.featureSize();
  const { 'head.weight': weight, 'head.bias': bias } = model.engine.parameters();
  const classes = model.info.classes.length;
  const expected = new Float64Array(loaded.length * classes);
  for (let i = 0; i < loaded.length; i += 1) {
    for (let c = 0; c < classes; c += 1) {
      let sum = bias.data[c];
      for (let k = 0; k < size; k += 1) sum += weight.data[c * size + k] * features[i * size + k];
      expected[i * classes + c] = sum;
    }
  }
  const logitDifference = maxDifference(onnxLogits, expected);
  assert.ok(logitDifference < 1e-4, `max logit difference ${logitDifference} over ${loaded.length} images`);

  // Probabilities with the model's test-time views: top-1 agreement and the largest difference.
  const views = model.info.testTimeViews;
  // As classification combines views: their logits averaged, then the softmax.
  const probabilitiesOf = async (predictor: Predictor) => softmaxRows(averageLogits((await predictor.scoreViews(pixels, indices, views)).logitsPerView), classes, 1);
  const libtorch = await probabilitiesOf(libtorchPredictor(model.engine));
  const predictor = await onnxPredictor(model, 1);
  const onnx = await probabilitiesOf(predictor);
  await predictor.close();
  let agree = 0;
  for (let i = 0; i < loaded.length; i += 1) {
    const top = (p: Float32Array) => p.subarray(i * classes, (i + 1) * classes).reduce((best, v, c, row) => (v > row[best] ? c : best), 0);
    if (top(libtorch) === top(onnx)) agree += 1;
  }
  const probabilityDifference = maxDifference(libtorch, onnx);
  console.log(`# ${loaded.length} real images: max logit difference ${logitDifference.toExponential(2)}, top-1 agreement ${agree}/${loaded.length}, max probability difference ${probabilityDifference.toExponential(2)} (${views} views)`);
  assert.ok(agree / loaded.length >= 0.995, `top-1 agreement ${agree}/${loaded.length}`);
  assert.ok(probabilityDifference < 0.01, `max probability difference ${probabilityDifference}`);

  // The CLI: the same CSV columns, the same predictions.
  const csvs = ['libtorch', 'onnx'].map((engine) => {
    const out = path.join(work, `${engine}.csv`);
    // fp32 on both sides: ONNX Runtime computes in fp32, and this compares engines, not precisions.
    const result = wbc(['classify', modelDir, UNLABELLED, '--out', out, '--engine', engine, '--threads', '1', '--precision', 'fp32']);
    assert.equal(result.status, 0, result.stderr);
    return parseCsv(fs.readFileSync(out, 'utf8'));
  });
  assert.deepEqual(csvs[1][0], csvs[0][0]);
  assert.equal(csvs[1].length, csvs[0].length);
  const rows = csvs[0].length - 1;
  const same = csvs[0].slice(1).filter((row, i) => row[0] === csvs[1][i + 1][0] && row[1] === csvs[1][i + 1][1]).length;
  assert.ok(same / rows >= 0.995, `CSV top-1 agreement ${same}/${rows}`);
  const column = csvs[0][0].indexOf('out_of_scope_score');
  if (column >= 0) {
    const worst = Math.max(...csvs[0].slice(1).map((row, i) => Math.abs(Number(row[column]) - Number(csvs[1][i + 1][column]))));
    console.log(`# CSV: ${same}/${rows} same predictions; largest out_of_scope_score difference ${worst}`);
  }
  // ONNX Runtime is the default where it was measured faster: fp32 on the CPU; LibTorch runs bf16.
  const runtime = setUpRuntime({ device: 'cpu', threads: 1 });
  assert.equal((await classify(modelDir, UNLABELLED, { threads: 1 })).engine, runtime.bfloat16 ? 'libtorch' : 'onnx');
  const byDefault = await classify(modelDir, UNLABELLED, { threads: 1, precision: 'fp32' });
  assert.equal(byDefault.engine, 'onnx');
  assert.equal((await classify(modelDir, UNLABELLED, { threads: 1, engine: 'libtorch' })).engine, 'libtorch');
  assert.deepEqual(byDefault.predictions.map((p) => p.prediction), csvs[1].slice(1).map((row) => row[1]));
});
