import { readNamedModelFile, type ModelInfo } from '../model/model-folder';
import type { ReviewChoice } from '../model/model-schema';
import type { Scheme } from '../scheme/scheme';
import { decodeCalibrationScores } from '../trust/calibration-scores';
import { schemeReviewChoice } from '../trust/scheme-review';
import type { Trust } from '../trust/trust-model';
import { WbcError } from '../util/errors';

/**
 * The trust settings under a reporting scheme: a scheme other than class by class gets its own review
 * threshold, fitted on the calibration scores the model folder keeps (unless the caller set a threshold).
 * `review` says how it was chosen; absent when the class-level threshold stands.
 */
export function trustUnderScheme(modelDir: string, info: ModelInfo, trust: Trust, scheme: Scheme, reviewThreshold?: number): { trust: Trust; review?: ReviewChoice } {
  if (scheme.identity || reviewThreshold !== undefined) return { trust };
  if (!info.calibrationScores || !info.calibration) {
    throw new WbcError(`scheme ${scheme.name} needs a review threshold of its own, fitted on calibration scores that this model predates: run \`wbc calibrate ${modelDir} <the labelled folder it was trained on>\` once, or retrain`);
  }
  const scores = decodeCalibrationScores(readNamedModelFile(modelDir, info.calibrationScores, 'the calibration scores'), info.calibrationScores);
  const review = schemeReviewChoice(scores, trust, scheme, info.calibration.maxAcceptedError);
  return { trust: { ...trust, reviewThreshold: review.threshold }, review };
}
