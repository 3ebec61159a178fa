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

test('a selector given another one\'s state chooses as that one would', () => {
  const original = new EpochSelector(400);
  for (const [epoch, accuracy] of [[1, 0.8], [2, 0.9], [3, 0.87]]) original.record(epoch, accuracy);
  const resumed = new EpochSelector(400);
  resumed.setState(JSON.parse(JSON.stringify(original.getState())));
  assert.deepEqual(resumed.getState(), { best: 0.9, kept: 2, epochsSinceBest: 1 });
  for (const [epoch, accuracy] of [[4, 0.89], [5, 0.86], [6, 0.91]]) {
    assert.equal(resumed.record(epoch, accuracy), original.record(epoch, accuracy), `epoch ${epoch}`);
    assert.deepEqual(resumed.getState(), original.getState());
  }
});
