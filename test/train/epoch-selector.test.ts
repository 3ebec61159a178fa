import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpochSelector } from '../../src/train/epoch-selector';

test('keeps the latest epoch within one standard error of the best', () => {
  // 400 validation images at 90%: one standard error is 1.5 points.
  const selector = new EpochSelector(400);
  assert.equal(selector.record(1, 0.8), true);
  assert.equal(selector.record(2, 0.9), true);
  assert.equal(selector.record(3, 0.89), true, 'within 1.5 points of the best');
  assert.equal(selector.kept, 3);
  assert.equal(selector.record(4, 0.88), false, 'two points below the best');
  assert.equal(selector.kept, 3);
  assert.equal(selector.epochsSinceBest, 2);
  assert.equal(selector.record(5, 0.9), true, 'a tie with the best');
  assert.equal(selector.epochsSinceBest, 0, 'a tie restarts the patience count');
  assert.equal(selector.record(6, 0.95), true);
  assert.equal(selector.epochsSinceBest, 0);
  assert.equal(selector.kept, 6);
});

test('a larger validation split tolerates less', () => {
  const selector = new EpochSelector(100000);
  selector.record(1, 0.9);
  assert.equal(selector.record(2, 0.895), false);
  assert.equal(selector.kept, 1);
});
