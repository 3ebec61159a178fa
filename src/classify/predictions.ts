import type { PredictionColumns } from './prediction-columns.js';
import { categoryProbabilities, topCategory } from '../scheme/category-scores.js';
import type { Scheme } from '../scheme/scheme.js';
import { WbcError } from '../util/errors.js';

/** One classified image: the predictions CSV's columns (with an out-of-scope flag always given), and its category. */
export interface Prediction extends PredictionColumns {
  outOfScope: boolean;
  probabilities: number[];
  /** The reporting scheme's category (src/scheme) and its confidence: the sum of its classes' probabilities. */
  group: string;
  groupConfidence: number;
}

/** What besides low confidence sends a prediction to review. */
export interface ReviewRules {
  /** Out-of-scope scores, one per file, and the threshold above which a cell is out of scope. */
  outOfScopeScores?: Float32Array | null;
  outOfScopeThreshold?: number;
  /** Classes whose every prediction is reviewed (e.g. blasts). */
  alwaysReview?: readonly string[];
  /** The reporting scheme: the review threshold applies to its category's confidence; absent: class by class. */
  scheme?: Scheme;
}

/**
 * Turns the model's softmax output (row-major, files.length × classes.length) into one prediction per
 * file: the top two classes, their probabilities, the scheme's top category and its probability, and whether
 * it needs review: that category probability (the top class's, without a scheme) below the review threshold
 * (a threshold of 1 reviews everything), out of scope, or an always-review class.
 * Ties go to the lower class index, so that results do not depend on sort stability.
 */
export function toPredictions(
  files: readonly string[],
  probabilities: Float32Array,
  classes: readonly string[],
  reviewThreshold: number,
  rules: ReviewRules = {},
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
  if (rules.scheme && rules.scheme.categoryOfClass.length !== classes.length) {
    throw new WbcError(`scheme ${rules.scheme.name} is for ${rules.scheme.categoryOfClass.length} classes, not ${classes.length}`);
  }
  if (rules.outOfScopeScores && rules.outOfScopeScores.length !== files.length) {
    throw new WbcError(`expected ${files.length} out-of-scope scores, got ${rules.outOfScopeScores.length}`);
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
    const outOfScopeScore = rules.outOfScopeScores ? rules.outOfScopeScores[row] : null;
    const outOfScope = outOfScopeScore !== null && outOfScopeScore > (rules.outOfScopeThreshold ?? Infinity);
    const group = rules.scheme
      ? topCategory(categoryProbabilities(probabilities.subarray(row * classes.length, (row + 1) * classes.length), rules.scheme))
      : undefined;
    const groupConfidence = group ? group.confidence : scores[best];
    const lowConfidence = groupConfidence < reviewThreshold || reviewThreshold >= 1;
    return {
      file,
      prediction: classes[best],
      confidence: scores[best],
      second: classes[second],
      secondConfidence: scores[second],
      needsReview: lowConfidence || outOfScope || (rules.alwaysReview?.includes(classes[best]) ?? false),
      outOfScopeScore,
      outOfScope,
      probabilities: scores,
      group: group ? rules.scheme!.categories[group.category].name : classes[best],
      groupConfidence,
    };
  });
}
