import { dihedralViews } from '../augment/policy';
import { nativeMessage, type NativeEngine } from '../native/binding';
import { WbcError } from '../util/errors';

/** No answer at all is better than a NaN that a report would show as a confident class. */
export function requireFinite(probabilities: Float32Array): Float32Array {
  if (!probabilities.every(Number.isFinite)) {
    throw new WbcError('the model gave probabilities that are not numbers; its weights or normalisation are damaged');
  }
  return probabilities;
}

/**
 * Class probabilities for the images at `indices` of `pixels`, averaged over `views` test-time
 * views (flips and quarter turns); row-major, one row of class probabilities per index.
 */
export function predictProbabilities(engine: NativeEngine, pixels: Uint8Array, indices: Int32Array, views: number): Float32Array {
  const predict = (augment: Float32Array | null) => {
    try {
      return engine.predict(pixels, indices, augment);
    } catch (error) {
      throw new WbcError(`prediction failed: ${nativeMessage(error)}`);
    }
  };
  if (views === 1) return requireFinite(predict(null));
  let sum: Float32Array | undefined;
  for (const view of dihedralViews(indices.length, views)) {
    const probabilities = predict(view);
    if (!sum) sum = probabilities;
    else for (let i = 0; i < sum.length; i += 1) sum[i] += probabilities[i];
  }
  const average = sum as Float32Array;
  for (let i = 0; i < average.length; i += 1) average[i] /= views;
  return requireFinite(average);
}

/** The most probable class of each row. */
export function argmaxRows(probabilities: Float32Array, classes: number): Int32Array {
  const rows = probabilities.length / classes;
  const best = new Int32Array(rows);
  for (let row = 0; row < rows; row += 1) {
    let top = 0;
    for (let c = 1; c < classes; c += 1) {
      if (probabilities[row * classes + c] > probabilities[row * classes + top]) top = c;
    }
    best[row] = top;
  }
  return best;
}
