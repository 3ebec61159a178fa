import type { ReviewChoice } from '../model/model-schema';
import { WbcError } from '../util/errors';
import { clopperPearsonUpper, upperBoundAtMost } from './clopper-pearson';

/**
 * The default target: at most 2% of accepted predictions wrong, at 95% confidence. Measured on the default
 * model (README, "What confidence, out_of_scope and needs_review mean"): 1.5% flagged 40% of the test cells
 * to keep 99.7% of the rest right; 2% flags 27% and keeps 99.1% right.
 */
export const DEFAULT_MAX_ACCEPTED_ERROR = 0.02;
export const GUARANTEE_CONFIDENCE = 0.95;
/** Review every prediction: what is left when the calibration images cannot support the target. */
export const REVIEW_EVERYTHING = 1;

/** Rounds down to 4 decimals (as the CSV prints confidences), so that the threshold still accepts the prediction it came from. */
function roundDown(value: number): number {
  return Math.floor(value * 1e4 + 1e-9) / 1e4;
}

/**
 * The lowest confidence threshold t at which the one-sided Clopper–Pearson upper bound (at
 * GUARANTEE_CONFIDENCE) of the error rate among calibration predictions with confidence ≥ t is at
 * most `maxAcceptedError`. When no threshold qualifies (too few calibration images, or too many
 * confident errors), every prediction goes to review and `supported` is false.
 */
export function chooseGuaranteedThreshold(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean>,
  maxAcceptedError = DEFAULT_MAX_ACCEPTED_ERROR,
): ReviewChoice {
  if (confidences.length !== correct.length) throw new WbcError(`cannot choose a review threshold: ${confidences.length} confidences but ${correct.length} outcomes`);
  if (!(maxAcceptedError > 0 && maxAcceptedError < 1)) throw new WbcError(`max accepted error must be between 0 and 1, got ${maxAcceptedError}`);
  const order = Array.from({ length: confidences.length }, (_, i) => i).sort((a, b) => confidences[a] - confidences[b]);
  const candidates = order.map((i) => roundDown(confidences[i]));
  // errorsFrom[i]: wrong predictions among order[i..], the ones accepted at threshold candidates[i].
  const errorsFrom = new Array<number>(order.length + 1).fill(0);
  for (let i = order.length - 1; i >= 0; i -= 1) errorsFrom[i] = errorsFrom[i + 1] + (correct[order[i]] ? 0 : 1);
  const n = order.length;
  for (let i = 0; i < n; i += 1) {
    // Ties: a threshold accepts every prediction with that confidence, so only the first of a run is a candidate.
    if (i > 0 && candidates[i] === candidates[i - 1]) continue;
    const accepted = n - i;
    if (upperBoundAtMost(errorsFrom[i], accepted, maxAcceptedError, GUARANTEE_CONFIDENCE)) {
      return {
        threshold: candidates[i], supported: true, maxAcceptedError, accepted, errors: errorsFrom[i],
        errorUpperBound: clopperPearsonUpper(errorsFrom[i], accepted, GUARANTEE_CONFIDENCE), calibrationImages: n,
      };
    }
  }
  return { threshold: REVIEW_EVERYTHING, supported: false, maxAcceptedError, accepted: 0, errors: 0, errorUpperBound: 1, calibrationImages: n };
}

/** The fewest calibration images that could support `maxAcceptedError` even with no errors at all. */
export function fewestImagesFor(maxAcceptedError: number): number {
  return Math.ceil(Math.log(1 - GUARANTEE_CONFIDENCE) / Math.log(1 - maxAcceptedError));
}

/** How the threshold was chosen, in one line. */
export function describeReviewChoice(choice: ReviewChoice): string {
  const target = `${(choice.maxAcceptedError * 100).toFixed(1)}%`;
  if (!choice.supported) {
    return `the ${choice.calibrationImages} in-scope calibration images cannot show an accepted error of at most ${target} at 95% confidence (that needs at least ${fewestImagesFor(choice.maxAcceptedError)} images even with no errors, more with some), so every prediction is marked for review`;
  }
  return `lowest confidence at which the 95% upper bound of the error among accepted calibration images is ≤ ${target}: ${choice.errors} wrong of ${choice.accepted} accepted, bound ${(choice.errorUpperBound * 100).toFixed(2)}%`;
}

/** The review rule for a scored cell: below the threshold (a threshold of 1 reviews everything), or out of scope. */
export function isFlaggedForReview(confidence: number, reviewThreshold: number, outOfScope: boolean): boolean {
  return confidence < reviewThreshold || reviewThreshold >= 1 || outOfScope;
}
