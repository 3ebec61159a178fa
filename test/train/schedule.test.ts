import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classCounts, epochOrder, inverseFrequencyWeights } from '../../src/train/class-balance';
import { oneCycleLearningRate } from '../../src/train/schedule';
import { Rng } from '../../src/util/rng';

test('one-cycle schedule warms up to the peak, then decays to peak/1e4', () => {
  const total = 1000;
  const rates = Array.from({ length: total + 1 }, (_, step) => oneCycleLearningRate(step, total, 0.003));
  assert.ok(Math.abs(rates[0] - 0.003 / 25) < 1e-12);
  assert.ok(Math.abs(rates[300] - 0.003) < 1e-12);
  assert.ok(Math.abs(rates[total] - 0.003 / 1e4) < 1e-12);
  for (let i = 1; i <= 300; i += 1) assert.ok(rates[i] >= rates[i - 1]);
  for (let i = 301; i <= total; i += 1) assert.ok(rates[i] <= rates[i - 1]);
});

test('inverse-frequency weights equalise classes and average 1 over present classes', () => {
  const weights = inverseFrequencyWeights([10, 30, 0, 20]);
  // total 60, 3 present classes: 60 / (3 * count)
  assert.deepEqual(Array.from(weights, (w) => Number(w.toFixed(6))), [2, 0.666667, 0, 1]);
  assert.ok(Math.abs(10 * weights[0] - 30 * weights[1]) < 1e-4);
});

test('class counts', () => {
  assert.deepEqual(classCounts([0, 2, 2, 1, 2], 4), [1, 1, 3, 0]);
});

test('shuffled epochs visit every image once; balanced epochs draw classes evenly', () => {
  const labels = [...new Array(90).fill(0), ...new Array(10).fill(1)];
  const samples = labels.map((_, i) => i);
  const shuffled = epochOrder(samples, labels, 'shuffle', new Rng(1));
  assert.deepEqual([...shuffled].sort((a, b) => a - b), samples);
  assert.notDeepEqual(shuffled, samples);

  let minority = 0;
  const rng = new Rng(2);
  for (let epoch = 0; epoch < 20; epoch += 1) {
    const order = epochOrder(samples, labels, 'balanced', rng);
    assert.equal(order.length, samples.length);
    minority += order.filter((i) => labels[i] === 1).length;
  }
  const share = minority / (20 * samples.length);
  assert.ok(share > 0.45 && share < 0.55, `minority share ${share}`);
});
