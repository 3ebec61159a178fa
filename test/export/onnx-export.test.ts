import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { exportedFacts, factsToMetadata, metadataToFacts } from '../../src/runtime/metadata';
import { exportOnnx } from '../../src/export/onnx-export';
import { LOGITS_NAME, PROBABILITIES_NAME, networkGraph } from '../../src/runtime/onnx-graph';
import { onnxSession, runImages } from '../../src/runtime/onnx-session';
import { encodeModel, readModelHeader } from '../../src/runtime/onnx-proto';
import { saveModel, type ModelInfo } from '../../src/model/model-folder';
import { TINY_INPUT, TINY_NETWORK, randomBatch, step, tinyEngine } from '../helpers/engines';
import { hasStackTrace, wbc } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';

const INFO: Omit<ModelInfo, 'format' | 'version'> = {
  classes: ['bands', 'basophils', 'blasts'],
  network: TINY_NETWORK,
  input: TINY_INPUT,
  testTimeViews: 4,
  reviewThreshold: 0.55,
};

async function savedModel(): Promise<string> {
  const dir = path.join(makeTempDir(), 'model');
  const engine = tinyEngine(1);
  for (let i = 0; i < 3; i += 1) await step(engine, randomBatch(6, i));
  saveModel(dir, INFO, engine);
  return dir;
}

test('an uncalibrated model exports; its metadata reads back as the facts a consumer needs', async () => {
  const dir = await savedModel();
  const file = path.join(path.dirname(dir), 'model.onnx');
  const result = exportOnnx(dir, file);
  const header = readModelHeader(fs.readFileSync(file));
  assert.ok((header.opset ?? 0) >= 13, `opset ${header.opset}`);
  assert.equal(header.producer, 'wbc-classifier');
  const facts = metadataToFacts(header.metadata);
  assert.deepEqual(facts, result.facts);
  assert.deepEqual(facts.classes, INFO.classes);
  assert.equal(facts.storedSize, TINY_INPUT.storedSize);
  assert.equal(facts.inputSize, TINY_INPUT.inputSize);
  assert.deepEqual([facts.mean, facts.std], [TINY_INPUT.mean, TINY_INPUT.std]);
  assert.equal(facts.testTimeViews, 4);
  assert.equal(facts.reviewThreshold, 0.55);
  assert.equal(facts.calibrated, false);
  assert.equal(facts.temperature, 1);
  assert.deepEqual(facts.temperatures, {});
  // Every value is JSON, and the descriptions are there for people.
  for (const value of Object.values(header.metadata)) JSON.parse(value);
  assert.match(header.metadata['description.input'], /uint8/);
});

test('a temperature divides the logits before the softmax', async () => {
  const engine = tinyEngine(2);
  const parameters = engine.parameters();
  const facts = exportedFacts({ ...INFO, format: 'wbc-classifier-model', version: 2 }, { temperatures: { 1: 2.5, 4: 1.5 }, reviewThresholds: { 1: 0.8, 4: 0.7 } });
  assert.deepEqual(metadataToFacts(factsToMetadata(facts)), facts);
  assert.equal(facts.temperature, 2.5);
  assert.equal(facts.reviewThreshold, 0.7, 'the threshold for the model\'s own 4 views');
  assert.equal(facts.calibrated, true);
  const bytes = encodeModel(networkGraph({ network: TINY_NETWORK, input: TINY_INPUT, parameters, temperature: 2.5 }, factsToMetadata(facts), '0'));
  const session = await onnxSession(bytes, 1);
  const { pixels } = randomBatch(2, 5);
  const logits = (await runImages(session, pixels, 2, TINY_INPUT.storedSize, [LOGITS_NAME]))[LOGITS_NAME];
  const probabilities = (await runImages(session, pixels, 2, TINY_INPUT.storedSize, [PROBABILITIES_NAME]))[PROBABILITIES_NAME];
  for (let row = 0; row < 2; row += 1) {
    const scaled = Array.from(logits.subarray(row * 3, row * 3 + 3), (l) => Math.exp(l / 2.5));
    const total = scaled.reduce((a, b) => a + b, 0);
    scaled.forEach((s, c) => assert.ok(Math.abs(s / total - probabilities[row * 3 + c]) < 1e-6));
  }
  await session.release();
});

test('metadata from another tool is refused in one line', () => {
  assert.throws(() => metadataToFacts({ classes: '["a"]' }), /no "format" metadata/);
  const metadata = factsToMetadata(exportedFacts({ ...INFO, format: 'wbc-classifier-model', version: 2 }, undefined));
  assert.throws(() => metadataToFacts({ ...metadata, stored_size: 'seventy' }), /not JSON/);
});

test('wbc export --onnx writes the file; bad use gets one line and exit 1', async () => {
  const dir = await savedModel();
  const work = path.dirname(dir);
  const file = path.join(work, 'out.onnx');
  const done = wbc(['export', dir, '--onnx', file]);
  assert.equal(done.status, 0, done.stderr);
  assert.match(done.stdout, /uint8 \[batch, 8, 8, 3\], 3 classes/);
  assert.ok(fs.statSync(file).size > 0);
  const images = path.join(work, 'images');
  fs.mkdirSync(images);
  const csv = path.join(work, 'p.csv');
  for (const args of [
    ['export', dir],
    ['export', dir, '--onnx', path.join(work, 'out.txt')],
    ['export', path.join(work, 'nothing'), '--onnx', file],
    ['export', dir, '--web', file],
    ['classify', dir, images, '--out', csv, '--engine', 'tensorflow'],
    ['classify', dir, images, '--out', csv, '--engine', 'onnx', '--device', 'cuda'],
  ]) {
    const bad = wbc(args);
    assert.equal(bad.status, 1, args.join(' '));
    assert.ok(!hasStackTrace(bad.stderr));
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  }
});
