import type { OutOfScopeMethod } from './out-of-scope';
import type { ReviewChoice } from './review-threshold';

/** The test-time view counts a model may be asked for; calibration fits each. */
export const VIEW_COUNTS = [1, 2, 4, 8] as const;

/** What calibration fitted for one count of test-time views. */
export interface ViewCalibration {
  /** Logits averaged over the views are divided by this before the softmax. */
  temperature: number;
  review: ReviewChoice;
  /** Expected calibration error (15 bins, top label) on the calibration images, before and after. */
  eceBefore: number;
  eceAfter: number;
}

/** model.json's `calibration`: how confidences were calibrated and the review threshold chosen. */
export interface CalibrationInfo {
  /** Calibration images: the validation split. */
  images: number;
  /** The review target: the highest error among accepted predictions allowed by the 95% upper bound. */
  maxAcceptedError: number;
  /** Keyed by view count ('1', '2', '4', '8'). */
  byViews: Record<string, ViewCalibration>;
}

/** model.json's `outOfScope`: the out-of-scope score and its threshold; its statistics are in `file`. */
export interface OutOfScopeInfo {
  method: OutOfScopeMethod;
  /** In the model folder: little-endian float32 rows (the k-NN bank, or Mahalanobis means and precisions). */
  file: string;
  /** SHA-256 of `file`, checked on load like weightsSha256. */
  sha256: string;
  featureSize: number;
  /** k-NN only: neighbours counted. */
  neighbours?: number;
  /** Scores above this are out of scope. */
  threshold: number;
  /** The share of in-scope calibration images the threshold flags (--out-of-scope-rate). */
  rate: number;
  calibrationImages: number;
}
