import { clopperPearsonUpper } from './clopper-pearson';
import { expectedCalibrationError, reliabilityBins, type ReliabilityBin } from './ece';
import { GUARANTEE_CONFIDENCE, isFlaggedForReview } from './review-threshold';
import { topLabel } from '../model/scores';

/** How the review flag performed on labelled images. */
export interface ReviewOutcome {
  threshold: number;
  /** Share of images marked for review (low confidence or out of scope). */
  flagged: number;
  /** Share of images out of scope (part of `flagged`). */
  outOfScope: number;
  /** Share of the accepted (not flagged) images whose prediction is right; 0 when none are accepted. */
  acceptedAccuracy: number;
  /** One-sided 95% Clopper–Pearson upper bound of the error rate among the accepted. */
  acceptedErrorUpperBound: number;
  accepted: number;
}

export interface TrustAssessment {
  /** Expected calibration error, 15 equal-width bins, top label. */
  ece: number;
  reliability: ReliabilityBin[];
  review: ReviewOutcome;
}

/** Calibration and review figures for calibrated probabilities (n × classes) against the true labels. */
export function assessTrust(
  probabilities: Float32Array,
  classes: number,
  truth: ArrayLike<number>,
  reviewThreshold: number,
  outOfScope: ArrayLike<boolean> | null,
): TrustAssessment {
  const { confidences, correct } = topLabel(probabilities, classes, truth);
  const n = truth.length;
  let flagged = 0;
  let outside = 0;
  let acceptedRight = 0;
  for (let i = 0; i < n; i += 1) {
    const isOutside = outOfScope?.[i] ?? false;
    if (isOutside) outside += 1;
    if (isFlaggedForReview(confidences[i], reviewThreshold, isOutside)) flagged += 1;
    else if (correct[i]) acceptedRight += 1;
  }
  const accepted = n - flagged;
  return {
    ece: expectedCalibrationError(confidences, correct),
    reliability: reliabilityBins(confidences, correct),
    review: {
      threshold: reviewThreshold,
      flagged: n ? flagged / n : 0,
      outOfScope: n ? outside / n : 0,
      acceptedAccuracy: accepted ? acceptedRight / accepted : 0,
      acceptedErrorUpperBound: clopperPearsonUpper(accepted - acceptedRight, accepted, GUARANTEE_CONFIDENCE),
      accepted,
    },
  };
}
