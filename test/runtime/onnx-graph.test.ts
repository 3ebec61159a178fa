import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { dihedralViews, identityAugmentation } from '../../src/augment/policy';
import { networkGraph } from '../../src/runtime/onnx-graph';
import { FEATURES_NAME, LOGITS_NAME, PROBABILITIES_NAME } from '../../src/runtime/onnx-graph';
import { onnxModelBytes } from '../../src/runtime/onnx-model';
import { onnxPredictor } from '../../src/runtime/onnx-predictor';
import { onnxSession, runImages } from '../../src/runtime/onnx-session';
import { viewBatch } from '../../src/model/views';
import { networkSpec } from '../../src/model/architecture';
import { newEngine, type ModelInfo } from '../../src/model/model-folder';
import { libtorchPredictor } from '../../src/runtime/predictor';
import type { InputSpec, NativeEngine } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';

const CLASSES = ['a', 'b', 'c'];
// A margin of 2 pixels around the 8-pixel crop, so that the graph's crop is exercised.
const INPUT: InputSpec = { inputSize: 8, storedSize: 12, mean: [0.6, 0.5, 0.4], std: [0.2, 0.25, 0.3] };
const NETWORK = networkSpec(2, CLASSES.length);
const IMAGE_BYTES = INPUT.storedSize ** 2 * 3;

function info(): ModelInfo {
  return { format: 'wbc-classifier-model', version: 2, classes: CLASSES, network: NETWORK, input: INPUT, testTimeViews: 8, reviewThreshold: 0.6 };
}

function randomImages(count: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: count * IMAGE_BYTES }, () => rng.int(256));
}

/** An engine trained a few steps, so that its weights and batch-norm statistics are far from their initial values. */
async function trainedEngine(): Promise<NativeEngine> {
  const engine = newEngine(NETWORK, INPUT, { device: 'cpu', bfloat16: false, seed: 3 });
  engine.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]) });
  const pixels = randomImages(16, 1);
  const indices = Int32Array.from({ length: 16 }, (_, i) => i);
  const labels = Int32Array.from({ length: 16 }, (_, i) => i % 3);
  for (let step = 0; step < 20; step += 1) await engine.trainStep(pixels, indices, labels, identityAugmentation(16), 0.05);
  return engine;
}

/** LibTorch's logits: its pooled features through the linear head, summed in float64. */
async function libtorchLogits(engine: NativeEngine, pixels: Uint8Array, indices: Int32Array): Promise<Float64Array> {
  const features = await engine.features(pixels, indices, null);
  const size = engine.featureSize();
  const { 'head.weight': weight, 'head.bias': bias } = engine.parameters();
  const logits = new Float64Array(indices.length * CLASSES.length);
  for (let i = 0; i < indices.length; i += 1) {
    for (let c = 0; c < CLASSES.length; c += 1) {
      let sum = bias.data[c];
      for (let k = 0; k < size; k += 1) sum += weight.data[c * size + k] * features[i * size + k];
      logits[i * CLASSES.length + c] = sum;
    }
  }
  return logits;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

let engine: NativeEngine;
let model: { info: ReturnType<typeof info>; engine: NativeEngine };
before(async () => {
  engine = await trainedEngine();
  model = { info: info(), engine };
});
const count = 6;
const pixels = randomImages(count, 2);
const indices = Int32Array.from({ length: count }, (_, i) => i);

test('ONNX Runtime logits equal LibTorch fp32 logits within 1e-4 (batch norm folded, crop and normalisation in the graph)', async () => {
  const session = await onnxSession(onnxModelBytes(model).bytes, 1);
  const outputs = await runImages(session, pixels, count, INPUT.storedSize, [LOGITS_NAME, FEATURES_NAME]);
  const onnx = outputs[LOGITS_NAME];
  const expected = await libtorchLogits(engine, pixels, indices);
  const features = await engine.features(pixels, indices, null);
  assert.ok(maxDifference(outputs[FEATURES_NAME], features) < 1e-4, `max feature difference ${maxDifference(outputs[FEATURES_NAME], features)}`);
  assert.ok(maxDifference(onnx, expected) < 1e-4, `max logit difference ${maxDifference(onnx, expected)}`);
  // The logits are not all alike, or the comparison would prove little.
  assert.ok(maxDifference(expected.subarray(0, 3), expected.subarray(3, 6)) > 1e-3);
  await session.release();
});

test('the batch dimension is dynamic: one image alone gives its row of a larger batch', async () => {
  const session = await onnxSession(onnxModelBytes(model).bytes, 1);
  const all = (await runImages(session, pixels, count, INPUT.storedSize, [PROBABILITIES_NAME]))[PROBABILITIES_NAME];
  const last = (await runImages(session, pixels.subarray((count - 1) * IMAGE_BYTES), 1, INPUT.storedSize, [PROBABILITIES_NAME]))[PROBABILITIES_NAME];
  assert.ok(maxDifference(last, all.subarray((count - 1) * 3)) < 1e-6);
  await session.release();
});

test('each test-time view of the ONNX path is the same view as LibTorch\'s', async () => {
  const session = await onnxSession(onnxModelBytes(model).bytes, 1);
  const views = dihedralViews(count, 8);
  for (let v = 0; v < 8; v += 1) {
    const expected = await engine.predict(pixels, indices, views[v]);
    const batch = viewBatch(pixels, count, INPUT.storedSize, 8).subarray(v * count * IMAGE_BYTES, (v + 1) * count * IMAGE_BYTES);
    const onnx = (await runImages(session, batch, count, INPUT.storedSize, [PROBABILITIES_NAME]))[PROBABILITIES_NAME];
    assert.ok(maxDifference(onnx, expected) < 1e-5, `view ${v}: ${maxDifference(onnx, expected)}`);
  }
  await session.release();
});

test('the ONNX predictor gives LibTorch\'s logits for every view and the plain view\'s features, for any indices', async () => {
  const onnx = await onnxPredictor(model, 1);
  const libtorch = libtorchPredictor(engine);
  const chosen = Int32Array.from([5, 0, 3]);
  for (const views of [1, 2, 4, 8]) {
    const ours = await onnx.scoreViews(pixels, chosen, views);
    const theirs = await libtorch.scoreViews(pixels, chosen, views);
    assert.equal(ours.logitsPerView.length, views);
    assert.deepEqual([ours.classes, ours.featureSize], [theirs.classes, theirs.featureSize]);
    ours.logitsPerView.forEach((logits, v) => assert.ok(maxDifference(logits, theirs.logitsPerView[v]) < 1e-4, `${views} views, view ${v}: ${maxDifference(logits, theirs.logitsPerView[v])}`));
    assert.ok(maxDifference(ours.features, theirs.features) < 1e-4, `features: ${maxDifference(ours.features, theirs.features)}`);
  }
  // Views 1 to 7 alone (adaptive views score the plain view first): the same logits, and no features.
  for (const predictor of [onnx, libtorch]) {
    const rest = await predictor.scoreViews(pixels, chosen, 8, 1);
    const all = await libtorch.scoreViews(pixels, chosen, 8);
    assert.equal(rest.logitsPerView.length, 7);
    assert.equal(rest.features.length, 0);
    rest.logitsPerView.forEach((logits, v) => assert.ok(maxDifference(logits, all.logitsPerView[v + 1]) < 1e-4, `${predictor.engine}, view ${v + 1}`));
  }
  await assert.rejects(onnx.scoreViews(pixels, Int32Array.from([count]), 1), /outside the pixel buffer/);
  await onnx.close();
});

test('a crop that is not whole pixels, missing weights or a bad temperature are refused in one line', () => {
  const parameters = engine.parameters();
  const source = { network: NETWORK, input: INPUT, parameters, temperature: 1 };
  assert.throws(() => networkGraph({ ...source, input: { ...INPUT, storedSize: 11 } }, {}, '0'), /not whole pixels/);
  const { 'body.1.running_var': _dropped, ...partial } = parameters;
  assert.throws(() => networkGraph({ ...source, parameters: partial }, {}, '0'), /body\.1\.running_var .* is missing/);
  assert.throws(() => networkGraph({ ...source, network: networkSpec(4, 3) }, {}, '0'), /should have shape/);
  assert.throws(() => networkGraph({ ...source, temperature: 0 }, {}, '0'), /temperature/);
});
