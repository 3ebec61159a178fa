import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knnDistances } from '../../src/export/page/knn';
import { KnnScorer } from '../../src/trust/out-of-scope';
import { Rng } from '../../src/util/rng';

function randomRows(rng: Rng, count: number, size: number): Float32Array {
  return Float32Array.from({ length: count * size }, () => rng.next() * 4 - 1);
}

test('the page\'s k-NN distances are the addon\'s, bit for bit (the page\'s out-of-scope scores are the CLI\'s)', async () => {
  const rng = new Rng(11);
  // 130 features a row: not a multiple of 4, so the unrolled sums' tail counts too.
  for (const [size, k] of [[130, 10], [8, 1], [3, 5]] as const) {
    const scorer = KnnScorer.fit(randomRows(rng, 300, size), size, { k, limit: 200 });
    const queries = randomRows(rng, 50, size);
    queries.fill(0, 0, size); // a zero row stays zero, as in the addon
    const native = await scorer.score(queries);
    const page = knnDistances(scorer.bank, queries, size, k);
    assert.deepEqual(Array.from(page), Array.from(native), `size ${size}, k ${k}`);
    assert.ok(page.some((d) => d > 0));
  }
});
