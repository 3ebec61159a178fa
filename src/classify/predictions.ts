import { WbcError } from '../util/errors';

export interface Prediction {
  file: string;
  prediction: string;
  confidence: number;
  second: string;
  secondConfidence: number;
  needsReview: boolean;
  probabilities: number[];
}

/**
 * Turns the model's softmax output (row-major, files.length × classes.length) into one prediction per
 * file: the top two classes, their probabilities, and whether the top one is below the review threshold.
 * Ties go to the lower class index, so that results do not depend on sort stability.
 */
export function toPredictions(
  files: readonly string[],
  probabilities: Float32Array,
  classes: readonly string[],
  reviewThreshold: number,
): Prediction[] {
  if (classes.length < 2) {
    throw new WbcError(`a classifier needs at least 2 classes, got ${classes.length}`);
  }
  if (probabilities.length !== files.length * classes.length) {
    throw new WbcError(
      `expected ${files.length} files × ${classes.length} classes = ${files.length * classes.length} probabilities, ` +
        `got ${probabilities.length}`,
    );
  }
  return files.map((file, row) => {
    const scores = Array.from(probabilities.subarray(row * classes.length, (row + 1) * classes.length));
    let best = 0;
    let second = 1;
    if (scores[second] > scores[best]) [best, second] = [second, best];
    // Strict comparisons keep the earlier (lower) index on ties.
    for (let c = 2; c < scores.length; c += 1) {
      if (scores[c] > scores[best]) {
        second = best;
        best = c;
      } else if (scores[c] > scores[second]) {
        second = c;
      }
    }
    return {
      file,
      prediction: classes[best],
      confidence: scores[best],
      second: classes[second],
      secondConfidence: scores[second],
      needsReview: scores[best] < reviewThreshold,
      probabilities: scores,
    };
  });
}
