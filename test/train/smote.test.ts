import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLinearHead } from '../../src/train/fit-head';
import { smoteOversample } from '../../src/train/smote';
import { Rng } from '../../src/util/rng';

/** Class 0: 12 points around (0, 0); class 1: 4 points around (10, 10); class 2: a single point. */
function unbalanced() {
  const rng = new Rng(5);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 12; i += 1) { points.push([rng.uniform(-1, 1), rng.uniform(-1, 1)]); labels.push(0); }
  for (let i = 0; i < 4; i += 1) { points.push([10 + rng.uniform(-1, 1), 10 + rng.uniform(-1, 1)]); labels.push(1); }
  points.push([-20, 20]); labels.push(2);
  return { features: Float32Array.from(points.flat()), labels: Int32Array.from(labels), size: 2 };
}

test('SMOTE tops every class up to the largest, inside its own class, keeping the originals', () => {
  const set = unbalanced();
  const out = smoteOversample(set, 3, new Rng(1), 3);
  const counts = [0, 0, 0];
  out.labels.forEach((label) => { counts[label] += 1; });
  assert.deepEqual(counts, [12, 12, 1], 'a one-sample class has nothing to interpolate and stays as it is');
  assert.deepEqual(out.features.subarray(0, set.features.length), set.features);
  for (let i = set.labels.length; i < out.labels.length; i += 1) {
    assert.equal(out.labels[i], 1);
    const [x, y] = [out.features[2 * i], out.features[2 * i + 1]];
    assert.ok(x >= 9 - 1e-6 && x <= 11 + 1e-6 && y >= 9 - 1e-6 && y <= 11 + 1e-6, `(${x}, ${y}) left class 1's hull`);
  }
  assert.deepEqual(smoteOversample(set, 3, new Rng(1), 3), out, 'seeded');
});

test('the linear head separates separable features', () => {
  const set = unbalanced();
  const head = fitLinearHead(set, 3, new Rng(2));
  let correct = 0;
  for (let i = 0; i < set.labels.length; i += 1) {
    const scores = [0, 1, 2].map((c) => head.bias[c] + head.weight[c * 2] * set.features[2 * i] + head.weight[c * 2 + 1] * set.features[2 * i + 1]);
    if (scores.indexOf(Math.max(...scores)) === set.labels[i]) correct += 1;
  }
  assert.equal(correct, set.labels.length);
});
