import { Rng } from '../util/rng';

export interface FeatureSet {
  features: Float32Array;
  labels: Int32Array;
  /** Values per sample. */
  size: number;
}

function squaredDistance(features: Float32Array, size: number, a: number, b: number): number {
  let sum = 0;
  for (let k = 0; k < size; k += 1) {
    const d = features[a * size + k] - features[b * size + k];
    sum += d * d;
  }
  return sum;
}

/** The k nearest other members of `members` to member `i` (brute force: classes hold hundreds of samples). */
function nearestNeighbours(set: FeatureSet, members: number[], i: number, k: number): number[] {
  return members
    .filter((j) => j !== i)
    .map((j) => ({ j, d: squaredDistance(set.features, set.size, i, j) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map(({ j }) => j);
}

/**
 * SMOTE (Chawla et al., JAIR 16:321–357, 2002) applied to learned feature vectors rather than pixels:
 * every class is topped up to the size of the largest with points on the segment between one of its
 * samples and one of that sample's k nearest same-class neighbours. On pixels such blends are
 * ghostly double cells; in feature space they stay plausible members of the class.
 */
export function smoteOversample(set: FeatureSet, classes: number, rng: Rng, k = 5): FeatureSet {
  const members: number[][] = Array.from({ length: classes }, () => []);
  set.labels.forEach((label, i) => members[label].push(i));
  const target = Math.max(...members.map((m) => m.length));
  const extra = members.reduce((sum, m) => sum + (m.length >= 2 ? target - m.length : 0), 0);
  const count = set.labels.length + extra;
  const features = new Float32Array(count * set.size);
  const labels = new Int32Array(count);
  features.set(set.features);
  labels.set(set.labels);

  let next = set.labels.length;
  members.forEach((group, label) => {
    if (group.length < 2) return; // nothing to interpolate between
    const neighbours = new Map<number, number[]>();
    for (let made = group.length; made < target; made += 1) {
      const i = group[rng.int(group.length)];
      if (!neighbours.has(i)) neighbours.set(i, nearestNeighbours(set, group, i, k));
      const near = neighbours.get(i)!;
      const j = near[rng.int(near.length)];
      const t = rng.next();
      for (let d = 0; d < set.size; d += 1) {
        const a = set.features[i * set.size + d];
        features[next * set.size + d] = a + t * (set.features[j * set.size + d] - a);
      }
      labels[next] = label;
      next += 1;
    }
  });
  return { features, labels, size: set.size };
}
