import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { dihedralViews } from '../../src/augment/policy';
import { averageLogits, scoreViews } from '../../src/model/scores';
import { softmaxRows } from '../../src/model/views';
import { randomBatch, step, tinyEngine } from '../helpers/engines';

function close(a: Float32Array, b: Float32Array, tolerance = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i += 1) assert.ok(Math.abs(a[i] - b[i]) < tolerance, `${i}: ${a[i]} vs ${b[i]}`);
}

test('logitsAndFeatures gives, from one pass, the logits behind predict and the features of features()', async () => {
  const engine = tinyEngine(5);
  const batch = randomBatch(6, 2);
  await step(engine, batch); // moves batch-norm statistics and weights away from their initial values
  const scored = await scoreViews(engine, batch.pixels, batch.indices, 4);
  assert.equal(scored.classes, 3);
  assert.equal(scored.logitsPerView.length, 4);
  close(softmaxRows(scored.logitsPerView[0], 3), await engine.predict(batch.pixels, batch.indices, null));
  close(scored.features, await engine.features(batch.pixels, batch.indices, null));
  const turned = dihedralViews(6, 4)[3];
  close(softmaxRows(scored.logitsPerView[3], 3), await engine.predict(batch.pixels, batch.indices, turned));
});

test('views combine by averaging their logits', () => {
  const average = averageLogits([Float32Array.from([1, 2]), Float32Array.from([3, 6]), Float32Array.from([100, 100])], 2);
  assert.deepEqual(Array.from(average), [2, 4]);
});
