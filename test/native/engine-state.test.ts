import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { makeTempDir } from '../helpers/images';
import { randomBatch, step, tinyEngine } from '../helpers/engines';

test('a training state saved with the optimiser continues exactly: same weights, moments and dropout draws', async () => {
  const dir = makeTempDir();
  const state = path.join(dir, 'state.pt');
  const batch = randomBatch(6, 1);
  const engine = tinyEngine(1);
  await step(engine, batch);
  engine.save(state, true);
  const expected = [await step(engine, batch), await step(engine, batch), await step(engine, batch)];

  // A fresh engine, as in a resumed process, whose own random draws have moved on.
  const resumed = tinyEngine(99);
  await step(resumed, randomBatch(6, 2));
  resumed.load(state, true);
  assert.deepEqual([await step(resumed, batch), await step(resumed, batch), await step(resumed, batch)], expected);

  // Weights alone are not enough: without the optimiser's moments and the generator, the steps differ.
  const weightsOnly = tinyEngine(1);
  weightsOnly.load(state, false);
  assert.notDeepEqual([await step(weightsOnly, batch), await step(weightsOnly, batch), await step(weightsOnly, batch)], expected);
});

test('weights load from bytes already read as from the file', async () => {
  const dir = makeTempDir();
  const file = path.join(dir, 'weights.pt');
  const batch = randomBatch(4, 3);
  tinyEngine(5).save(file, false);
  const [fromFile, fromBytes] = [tinyEngine(6), tinyEngine(7)];
  fromFile.load(file, false);
  fromBytes.load(fs.readFileSync(file), false);
  assert.deepEqual(await fromBytes.predict(batch.pixels, batch.indices, null), await fromFile.predict(batch.pixels, batch.indices, null));
  assert.throws(() => fromBytes.load(fs.readFileSync(file).subarray(0, 500), false));
});
