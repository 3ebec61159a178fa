import type { NativeEngine } from '../native/binding';
import { averageLogits, scoreViews } from '../trust/scores';
import { softmaxRows } from '../trust/temperature';
import { WbcError } from '../util/errors';

/** No answer at all is better than a NaN that a report would show as a confident class. */
export function requireFinite(probabilities: Float32Array): Float32Array {
  if (!probabilities.every(Number.isFinite)) {
    throw new WbcError('the model gave probabilities that are not numbers; its weights or normalisation are damaged');
  }
  return probabilities;
}

/**
 * Class probabilities for the images at `indices` of `pixels` under `views` test-time views (flips
 * and quarter turns): the views' logits are averaged, then softmax(average / temperature); row-major,
 * one row of class probabilities per index.
 */
export async function predictProbabilities(engine: NativeEngine, pixels: Uint8Array, indices: Int32Array, views: number, temperature = 1): Promise<Float32Array> {
  const scored = await scoreViews(engine, pixels, indices, views);
  return requireFinite(softmaxRows(averageLogits(scored.logitsPerView), scored.classes, temperature));
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
