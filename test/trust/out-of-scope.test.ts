import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { invertSymmetric, KnnScorer, MahalanobisScorer, thresholdForRate } from '../../src/trust/out-of-scope';
import { Rng } from '../../src/util/rng';

const SIZE = 8;

/** Rows near `centre` (a feature vector) with Gaussian-ish noise of `spread`. */
function cluster(rng: Rng, centre: number[], count: number, spread: number): Float32Array {
  const out = new Float32Array(count * SIZE);
  for (let i = 0; i < count; i += 1) {
    for (let j = 0; j < SIZE; j += 1) out[i * SIZE + j] = centre[j] + spread * (rng.next() + rng.next() + rng.next() - 1.5);
  }
  return out;
}

function axis(index: number, length = 5): number[] {
  return Array.from({ length: SIZE }, (_, j) => (j === index ? length : 1));
}

function concat(...arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) { out.set(a, offset); offset += a.length; }
  return out;
}

test('both feature scores rank far-away features above near ones', async () => {
  const rng = new Rng(3);
  // Training cells: two classes around axes 0 and 1. Near: new cells of those classes. Far: a direction no class has.
  const train = concat(cluster(rng, axis(0), 200, 0.5), cluster(rng, axis(1), 200, 0.5));
  const labels = Int32Array.from({ length: 400 }, (_, i) => (i < 200 ? 0 : 1));
  const near = concat(cluster(rng, axis(0), 50, 0.5), cluster(rng, axis(1), 50, 0.5));
  const far = cluster(rng, axis(5), 50, 0.5);
  for (const scorer of [KnnScorer.fit(train, SIZE, { k: 5 }), MahalanobisScorer.fit(train, labels, 2, SIZE)]) {
    const name = scorer.constructor.name;
    // Every far cell scores above every near one.
    assert.ok(Math.min(...await scorer.score(far)) > Math.max(...await scorer.score(near)), name);
  }
});

test('a k-NN bank larger than its limit is sampled down, and the Mahalanobis statistics round-trip', async () => {
  const rng = new Rng(4);
  const train = cluster(rng, axis(0), 300, 0.5);
  assert.equal(KnnScorer.fit(train, SIZE, { limit: 100 }).bank.length, 100 * SIZE);
  const labels = new Int32Array(300);
  const scorer = MahalanobisScorer.fit(train, labels, 1, SIZE);
  const again = MahalanobisScorer.fromArray(scorer.toArray(), SIZE, 1);
  const query = cluster(rng, axis(2), 5, 0.5);
  const a = await scorer.score(query);
  const b = await again.score(query);
  for (let i = 0; i < a.length; i += 1) assert.ok(Math.abs(a[i] - b[i]) < 1e-2 * Math.max(1, Math.abs(a[i])));
});

/** The k-NN distance written out plainly: unit rows, every cosine similarity in doubles, the k-th largest. */
function referenceKnn(bank: Float32Array, queries: Float32Array, size: number, k: number): Float64Array {
  const unit = (row: Float32Array) => {
    const norm = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0));
    return Float32Array.from(row, (v) => (norm > 0 ? v / norm : 0));
  };
  const out = new Float64Array(queries.length / size);
  for (let q = 0; q < out.length; q += 1) {
    const query = unit(queries.subarray(q * size, (q + 1) * size));
    const similarities: number[] = [];
    for (let b = 0; b < bank.length / size; b += 1) {
      let dot = 0;
      for (let j = 0; j < size; j += 1) dot += query[j] * bank[b * size + j];
      similarities.push(dot);
    }
    similarities.sort((x, y) => y - x);
    out[q] = Math.sqrt(Math.max(0, 2 - 2 * similarities[k - 1]));
  }
  return out;
}

test('the native k-NN distance equals the plain computation, for more queries than one block and a zero row', async () => {
  const rng = new Rng(5);
  const train = concat(cluster(rng, axis(0), 150, 0.7), cluster(rng, axis(3), 150, 0.7));
  const queries = concat(cluster(rng, axis(1), 1100, 1), new Float32Array(SIZE));
  const scorer = KnnScorer.fit(train, SIZE, { k: 7 });
  const got = await scorer.score(queries);
  const expected = referenceKnn(scorer.bank, queries, SIZE, 7);
  assert.equal(got.length, 1101);
  for (let i = 0; i < got.length; i += 1) assert.ok(Math.abs(got[i] - expected[i]) < 1e-6, `query ${i}: ${got[i]} against ${expected[i]}`);
  assert.equal(got[1100], Math.fround(Math.SQRT2), 'a zero row is at distance sqrt(2) from every unit row');
});

test('the native k-NN refuses rows that do not fit in one line', async () => {
  const scorer = KnnScorer.fit(cluster(new Rng(6), axis(0), 20, 0.5), SIZE, { k: 3 });
  await assert.rejects(scorer.score(new Float32Array(SIZE + 1)), /^RangeError: bank and queries must hold whole rows of \d+ features$/);
  await assert.rejects(scorer.score(Float32Array.from({ length: SIZE }, () => NaN)), /queries/);
});

test('invertSymmetric inverts a positive-definite matrix', () => {
  const m = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
  const inverse = invertSymmetric(m, 3);
  for (let i = 0; i < 3; i += 1) {
    for (let j = 0; j < 3; j += 1) {
      let sum = 0;
      for (let p = 0; p < 3; p += 1) sum += m[i * 3 + p] * inverse[p * 3 + j];
      assert.ok(Math.abs(sum - (i === j ? 1 : 0)) < 1e-12);
    }
  }
});

test('the threshold flags the asked-for share of in-scope scores', () => {
  const scores = Array.from({ length: 100 }, (_, i) => i + 1);
  const threshold = thresholdForRate(scores, 0.05);
  assert.equal(threshold, 95);
  assert.equal(scores.filter((s) => s > threshold).length, 5);
});
