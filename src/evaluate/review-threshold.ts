import { WbcError } from '../util/errors';

const LOWEST_THRESHOLD = 0.5;
const HIGHEST_THRESHOLD = 0.95;
/**
 * Absorbs floating-point error: 14 of 25 must meet a target of 0.56 (0.56 × 25 = 14.000…02),
 * and 0.58 × 100 (57.999…) must round down to 58.
 */
const EPSILON = 1e-9;

/**
 * Rounds down, not to nearest, so that the threshold built from a confidence still keeps the
 * prediction it came from (0.7777 → 0.77, where 0.78 would drop it).
 */
function clampAndRoundDown(confidence: number): number {
  const clamped = Math.min(HIGHEST_THRESHOLD, Math.max(LOWEST_THRESHOLD, confidence));
  return Math.floor(clamped * 100 + EPSILON) / 100;
}

/**
 * The lowest threshold t, taken from the confidences themselves (clamped to [0.5, 0.95], 2 decimals),
 * such that the predictions with confidence ≥ t are correct at least `targetAccuracy` of the time.
 * Predictions below t are flagged "needs review". Returns 0.95, the most cautious threshold, when no
 * candidate reaches the target or when there is nothing to measure.
 */
export function chooseReviewThreshold(
  confidences: readonly number[],
  correct: readonly boolean[],
  targetAccuracy = 0.97,
): number {
  if (confidences.length !== correct.length) {
    throw new WbcError(
      `cannot choose a review threshold: ${confidences.length} confidences but ${correct.length} outcomes`,
    );
  }
  if (!(targetAccuracy > 0 && targetAccuracy <= 1)) {
    throw new WbcError(`target accuracy must be in (0, 1], got ${targetAccuracy}`);
  }
  // 0.5 is always a candidate so that a set where every prediction is correct yields 0.5
  // even if its lowest confidence is higher.
  const candidates = [...new Set([LOWEST_THRESHOLD, ...confidences.map(clampAndRoundDown)])].sort((a, b) => a - b);
  for (const threshold of candidates) {
    let kept = 0;
    let keptCorrect = 0;
    confidences.forEach((confidence, i) => {
      if (confidence >= threshold) {
        kept += 1;
        if (correct[i]) keptCorrect += 1;
      }
    });
    // A threshold that keeps no prediction says nothing about accuracy, so it cannot qualify.
    if (kept > 0 && keptCorrect >= targetAccuracy * kept - EPSILON) return threshold;
  }
  return HIGHEST_THRESHOLD;
}
