import { WbcError } from '../util/errors';
import { Rng } from '../util/rng';

/**
 * Splits indices into keep and hold-out sets with the same class proportions in each.
 * Every class with two or more images gets at least one image on each side; a class with a single
 * image stays in keep. Each class is shuffled by its own generator, so adding a class leaves the others' splits alone.
 */
export function stratifiedSplit(
  labels: readonly number[],
  holdOutFraction: number,
  seed: number,
): { keep: number[]; holdOut: number[] } {
  if (!(holdOutFraction > 0 && holdOutFraction < 1)) {
    throw new WbcError(`hold-out fraction must be between 0 and 1 (exclusive), got ${holdOutFraction}`);
  }
  const indicesByClass = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const indices = indicesByClass.get(label);
    if (indices) indices.push(index);
    else indicesByClass.set(label, [index]);
  });

  const keep: number[] = [];
  const holdOut: number[] = [];
  for (const [label, indices] of indicesByClass) {
    new Rng(seed + label * 7919).shuffle(indices);
    const n = indices.length;
    // At least one each side; for a single image the upper bound n − 1 = 0 wins, keeping it.
    const count = Math.min(n - 1, Math.max(1, Math.round(n * holdOutFraction)));
    holdOut.push(...indices.slice(0, count));
    keep.push(...indices.slice(count));
  }
  const ascending = (a: number, b: number) => a - b;
  return { keep: keep.sort(ascending), holdOut: holdOut.sort(ascending) };
}
