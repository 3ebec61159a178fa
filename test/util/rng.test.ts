import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng';

test('a generator given another one\'s state continues its sequence', () => {
  const original = new Rng(7);
  for (let i = 0; i < 5; i += 1) original.next();
  const resumed = new Rng(0);
  resumed.setState(original.getState());
  const expected = Array.from({ length: 10 }, () => original.next());
  assert.deepEqual(Array.from({ length: 10 }, () => resumed.next()), expected);
  assert.notDeepEqual(Array.from({ length: 10 }, () => new Rng(7).next()), expected, 'not merely the seed again');
});
