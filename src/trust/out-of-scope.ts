import { native } from '../native/binding';
import { WbcError } from '../util/errors';
import { Rng } from '../util/rng';

/**
 * Scores of how unlike the training cells an image is (higher = more unlike), from the pooled
 * features the classifier head reads (`size` per image) or from its logits.
 */

/** Neighbours counted by the k-NN score: the distance to the k-th nearest training image. */
export const KNN_NEIGHBOURS = 10;
/** Training images kept in the k-NN feature bank: bounds the model folder's size and classify's cost. */
export const KNN_BANK_LIMIT = 2048;

function normalizeRows(features: Float32Array, size: number): Float32Array {
  const out = new Float32Array(features.length);
  for (let row = 0; row < features.length; row += size) {
    let norm = 0;
    for (let j = 0; j < size; j += 1) norm += features[row + j] * features[row + j];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < size; j += 1) out[row + j] = features[row + j] * scale;
  }
  return out;
}

/**
 * k-nearest-neighbour distance on L2-normalised features (Sun et al. 2022): the Euclidean distance
 * from an image to its k-th nearest training image on the unit sphere.
 */
export class KnnScorer {
  readonly size: number;
  readonly bank: Float32Array;
  readonly k: number;

  constructor(bank: Float32Array, size: number, k = KNN_NEIGHBOURS) {
    if (size < 1 || bank.length % size !== 0 || bank.length / size < k) throw new WbcError(`a k-NN bank needs at least ${k} rows of ${size} features`);
    this.size = size;
    this.bank = bank;
    this.k = k;
  }

  /** A bank of at most `limit` training images (a seeded sample), normalised once here. */
  static fit(features: Float32Array, size: number, options: { k?: number; limit?: number; seed?: number } = {}): KnnScorer {
    const count = features.length / size;
    const limit = options.limit ?? KNN_BANK_LIMIT;
    let rows = Array.from({ length: count }, (_, i) => i);
    if (count > limit) rows = new Rng(options.seed ?? 1).shuffle(rows).slice(0, limit).sort((a, b) => a - b);
    const chosen = new Float32Array(rows.length * size);
    rows.forEach((row, i) => chosen.set(features.subarray(row * size, (row + 1) * size), i * size));
    return new KnnScorer(normalizeRows(chosen, size), size, Math.min(options.k ?? KNN_NEIGHBOURS, rows.length));
  }

  /** Each row's distance to its k-th nearest bank image; native, off the JavaScript thread (a 1,024-image chunk took 0.25 s on it). */
  score(features: Float32Array): Promise<Float32Array> {
    return native().knnDistances(this.bank, features, this.size, this.k);
  }

  toArray(): Float32Array {
    return this.bank;
  }
}

/** Inverse of a symmetric positive-definite matrix (row-major, n × n) by Cholesky factorisation. */
export function invertSymmetric(matrix: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = matrix[i * n + j];
      for (let p = 0; p < j; p += 1) sum -= l[i * n + p] * l[j * n + p];
      if (i === j) {
        if (!(sum > 0)) throw new WbcError('the feature covariance is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  const inverse = new Float64Array(n * n);
  const column = new Float64Array(n);
  for (let c = 0; c < n; c += 1) {
    // Solve L y = e_c, then Lᵀ x = y.
    for (let i = 0; i < n; i += 1) {
      let sum = i === c ? 1 : 0;
      for (let p = 0; p < i; p += 1) sum -= l[i * n + p] * column[p];
      column[i] = sum / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i -= 1) {
      let sum = column[i];
      for (let p = i + 1; p < n; p += 1) sum -= l[p * n + i] * column[p];
      column[i] = sum / l[i * n + i];
    }
    for (let i = 0; i < n; i += 1) inverse[i * n + c] = column[i];
  }
  return inverse;
}

/** Shrinks a covariance towards its mean variance, so that it stays invertible with few images. */
const SHRINKAGE = 1e-3;

/** Mean and the inverse of the (shrunk) covariance of rows around `centres`; `centreOf[row]` picks each row's centre. */
function precisionAround(features: Float32Array, size: number, centres: Float64Array, centreOf: (row: number) => number): Float64Array {
  const count = features.length / size;
  const covariance = new Float64Array(size * size);
  const centred = new Float64Array(size);
  for (let row = 0; row < count; row += 1) {
    const centre = centreOf(row) * size;
    for (let j = 0; j < size; j += 1) centred[j] = features[row * size + j] - centres[centre + j];
    for (let i = 0; i < size; i += 1) {
      const ci = centred[i];
      for (let j = 0; j <= i; j += 1) covariance[i * size + j] += ci * centred[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < size; i += 1) trace += covariance[i * size + i] / count;
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      const value = covariance[i * size + j] / count + (i === j ? SHRINKAGE * (trace / size) + 1e-12 : 0);
      covariance[i * size + j] = value;
      covariance[j * size + i] = value;
    }
  }
  return invertSymmetric(covariance, size);
}

/**
 * Relative Mahalanobis distance (Ren et al. 2021): the smallest Mahalanobis distance to a class mean
 * under the classes' shared covariance, minus the distance to the mean of all training images under
 * their overall covariance, which cancels what every image shares.
 */
export class MahalanobisScorer {
  constructor(
    readonly size: number,
    readonly classes: number,
    /** classes × size class means, then the overall mean, then the two size × size precision matrices. */
    readonly means: Float64Array,
    readonly precision: Float64Array,
    readonly backgroundPrecision: Float64Array,
  ) {}

  static fit(features: Float32Array, labels: ArrayLike<number>, classes: number, size: number): MahalanobisScorer {
    const count = labels.length;
    if (features.length !== count * size || count < 2) throw new WbcError(`Mahalanobis scoring needs features for at least 2 images, got ${count}`);
    const means = new Float64Array((classes + 1) * size);
    const counts = new Array<number>(classes + 1).fill(0);
    for (let row = 0; row < count; row += 1) {
      for (const centre of [labels[row], classes]) {
        counts[centre] += 1;
        for (let j = 0; j < size; j += 1) means[centre * size + j] += features[row * size + j];
      }
    }
    for (let centre = 0; centre <= classes; centre += 1) {
      for (let j = 0; j < size; j += 1) means[centre * size + j] /= Math.max(1, counts[centre]);
    }
    const precision = precisionAround(features, size, means, (row) => labels[row]);
    const backgroundPrecision = precisionAround(features, size, means, () => classes);
    return new MahalanobisScorer(size, classes, means, precision, backgroundPrecision);
  }

  /** Asynchronous as the k-NN score is, though computed here on the JavaScript thread. */
  async score(features: Float32Array): Promise<Float32Array> {
    const { size, classes, means, precision, backgroundPrecision } = this;
    const count = features.length / size;
    const out = new Float32Array(count);
    const centred = new Float64Array(size);
    const distance = (row: number, centre: number, matrix: Float64Array): number => {
      for (let j = 0; j < size; j += 1) centred[j] = features[row * size + j] - means[centre * size + j];
      let total = 0;
      for (let i = 0; i < size; i += 1) {
        let sum = 0;
        for (let j = 0; j < size; j += 1) sum += matrix[i * size + j] * centred[j];
        total += centred[i] * sum;
      }
      return total;
    };
    for (let row = 0; row < count; row += 1) {
      let nearest = Infinity;
      for (let c = 0; c < classes; c += 1) nearest = Math.min(nearest, distance(row, c, precision));
      out[row] = nearest - distance(row, classes, backgroundPrecision);
    }
    return out;
  }

  toArray(): Float32Array {
    const out = new Float32Array(this.means.length + 2 * this.size * this.size);
    out.set(this.means, 0);
    out.set(this.precision, this.means.length);
    out.set(this.backgroundPrecision, this.means.length + this.size * this.size);
    return out;
  }

  static fromArray(array: Float32Array, size: number, classes: number): MahalanobisScorer {
    const meansLength = (classes + 1) * size;
    if (array.length !== meansLength + 2 * size * size) throw new WbcError('the Mahalanobis statistics do not match the feature size');
    return new MahalanobisScorer(
      size, classes,
      Float64Array.from(array.subarray(0, meansLength)),
      Float64Array.from(array.subarray(meansLength, meansLength + size * size)),
      Float64Array.from(array.subarray(meansLength + size * size)),
    );
  }
}

/** The score above which `rate` of the calibration (in-scope) scores lie: the (1 − rate) quantile. */
export function thresholdForRate(inScopeScores: ArrayLike<number>, rate: number): number {
  if (!(rate > 0 && rate < 1)) throw new WbcError(`out-of-scope rate must be between 0 and 1, got ${rate}`);
  if (inScopeScores.length === 0) return Infinity;
  const sorted = Float64Array.from(inScopeScores).sort();
  // The smallest score with at most `rate` of the in-scope scores strictly above it.
  const index = Math.min(sorted.length - 1, Math.ceil((1 - rate) * sorted.length - 1e-9) - 1);
  return sorted[Math.max(0, index)];
}
