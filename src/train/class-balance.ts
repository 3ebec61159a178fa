import { Rng } from '../util/rng';

/** How many images each class has. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i += 1) counts[labels[i]] += 1;
  return counts;
}

/**
 * Loss weights inversely proportional to class frequency, normalised to a mean of 1 over the
 * classes present, so that every class weighs the same in the loss whatever its size.
 */
export function inverseFrequencyWeights(counts: readonly number[]): Float32Array {
  const present = counts.filter((count) => count > 0).length;
  const total = counts.reduce((a, b) => a + b, 0);
  return Float32Array.from(counts, (count) => (count > 0 ? total / (present * count) : 0));
}

/**
 * One epoch's order of training images. 'shuffle' visits each image once; 'balanced' draws the same
 * number of images with every class equally likely (minority images repeat, majority ones are skipped).
 */
export function epochOrder(samples: readonly number[], labels: ArrayLike<number>, mode: 'shuffle' | 'balanced', rng: Rng): number[] {
  if (mode === 'shuffle') return rng.shuffle([...samples]);
  const byClass = new Map<number, number[]>();
  for (const sample of samples) {
    const label = labels[sample];
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(sample);
  }
  const groups = [...byClass.values()];
  return Array.from({ length: samples.length }, () => {
    const group = groups[rng.int(groups.length)];
    return group[rng.int(group.length)];
  });
}
