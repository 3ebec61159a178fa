import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stratifiedSplit } from '../../src/data/split';
import { WbcError } from '../../src/util/errors';

/** Labels with `counts[c]` images of class c, classes interleaved as in a real scan of several folders. */
function labelsWith(counts: number[]): number[] {
  const labels: number[] = [];
  counts.forEach((count, label) => labels.push(...Array.from({ length: count }, () => label)));
  return labels;
}

function countByClass(labels: number[], indices: number[]): number[] {
  const counts = new Array<number>(Math.max(...labels) + 1).fill(0);
  for (const index of indices) counts[labels[index]] += 1;
  return counts;
}

describe('stratifiedSplit', () => {
  it('holds out the fraction of each class, with no overlap and nothing lost', () => {
    const labels = labelsWith([10, 5, 1, 2, 40]);
    const { keep, holdOut } = stratifiedSplit(labels, 0.2, 7);
    assert.deepEqual(countByClass(labels, holdOut), [2, 1, 0, 1, 8]);
    assert.deepEqual(countByClass(labels, keep), [8, 4, 1, 1, 32]);
    assert.deepEqual(
      [...keep, ...holdOut].sort((a, b) => a - b),
      labels.map((_, index) => index),
    );
    assert.deepEqual(keep, [...keep].sort((a, b) => a - b));
    assert.deepEqual(holdOut, [...holdOut].sort((a, b) => a - b));
  });

  it('keeps at least one image on each side of a class with two or more', () => {
    const labels = labelsWith([3, 2, 1]);
    assert.deepEqual(countByClass(labels, stratifiedSplit(labels, 0.99, 1).holdOut), [2, 1, 0]);
    assert.deepEqual(countByClass(labels, stratifiedSplit(labels, 0.01, 1).holdOut), [1, 1, 0]);
  });

  it('is the same for the same seed and different for another', () => {
    const labels = labelsWith([50, 50]).reverse();
    const first = stratifiedSplit(labels, 0.3, 42);
    assert.deepEqual(stratifiedSplit(labels, 0.3, 42), first);
    assert.notDeepEqual(stratifiedSplit(labels, 0.3, 43).holdOut, first.holdOut);
  });

  it('refuses a fraction outside (0, 1)', () => {
    for (const fraction of [0, 1, -0.1, 1.5, Number.NaN]) {
      assert.throws(() => stratifiedSplit([0, 1], fraction, 1), WbcError, String(fraction));
    }
  });
});
