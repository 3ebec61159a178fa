import type { ReviewChoice } from '../model/model-schema';
import { averageLogits } from '../model/scores';
import { softmaxRows } from '../model/views';
import { categoryProbabilities, topCategory } from '../scheme/category-scores';
import type { Scheme } from '../scheme/scheme';
import { WbcError } from '../util/errors';
import { adaptiveProbabilities, pickRows, rowsNeedingViews } from './adaptive-views';
import type { CalibrationScores } from './calibration-scores';
import { chooseGuaranteedThreshold } from './review-threshold';
import type { Trust } from './trust-model';

/** The calibration images' calibrated class probabilities, computed as `trust` computes a new image's. */
export function calibratedProbabilities(scores: CalibrationScores, trust: Trust): Float32Array {
  const { logitsPerView, classes } = scores;
  const wanted = trust.adaptive ? trust.adaptive.views : trust.views as number;
  if (wanted > logitsPerView.length) throw new WbcError(`the model's calibration scores hold ${logitsPerView.length} test-time view(s), not the ${wanted} asked for`);
  if (!trust.adaptive) return softmaxRows(averageLogits(logitsPerView, wanted), classes, trust.temperature);
  const unsure = rowsNeedingViews(logitsPerView[0], classes, trust.adaptive);
  const manyViews = pickRows(averageLogits(logitsPerView, wanted), unsure, classes);
  return adaptiveProbabilities(logitsPerView[0], unsure, manyViews, classes, trust.adaptive);
}

/**
 * A scheme's review threshold, chosen as the class-level one is (src/trust/review-threshold.ts) but on
 * category confidences: the in-scope calibration images' top category probability, right when the true
 * class lies in that category. Out-of-scope images are left out, as they are flagged whatever the scheme.
 */
export function schemeReviewChoice(scores: CalibrationScores, trust: Trust, scheme: Scheme, maxAcceptedError: number): ReviewChoice {
  if (scheme.categoryOfClass.length !== scores.classes) throw new WbcError(`scheme ${scheme.name} is for ${scheme.categoryOfClass.length} classes, the calibration scores for ${scores.classes}`);
  const categories = scheme.categories.length;
  const byCategory = categoryProbabilities(calibratedProbabilities(scores, trust), scheme);
  const outOfScopeThreshold = trust.outOfScope?.threshold ?? Infinity;
  const confidences: number[] = [];
  const correct: boolean[] = [];
  scores.labels.forEach((label, row) => {
    if (scores.outOfScopeScores[row] > outOfScopeThreshold) return;
    const top = topCategory(byCategory.subarray(row * categories, (row + 1) * categories));
    confidences.push(top.confidence);
    correct.push(top.category === scheme.categoryOfClass[label]);
  });
  return chooseGuaranteedThreshold(confidences, correct, maxAcceptedError);
}
