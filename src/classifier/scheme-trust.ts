import { readNamedModelFile, type ModelInfo } from '../model/model-folder';
import type { ReviewChoice } from '../model/model-schema';
import type { Scheme } from '../scheme/scheme';
import { decodeCalibrationScores } from '../trust/calibration-scores';
import { schemeReviewChoice } from '../trust/scheme-review';
import type { Trust } from '../trust/trust-model';
import { WbcError } from '../util/errors';

export interface SchemeTrustOptions {
  /** A review threshold set by the caller: it stands, and nothing is fitted. */
  reviewThreshold?: number;
  /** Another review target than the model's (--max-accepted-error), fitted anew even class by class. */
  maxAcceptedError?: number;
}

/**
 * Whether the scheme (or another review target) needs a review threshold fitted on the model's calibration
 * scores; refuses in one line, naming the command that makes them, a model that predates them. Cheap: it
 * reads model.json's fields only, so a server can check before it classifies anything.
 */
export function needsOwnThreshold(modelDir: string, info: ModelInfo, scheme: Scheme, options: SchemeTrustOptions = {}): boolean {
  const target = options.maxAcceptedError ?? info.calibration?.maxAcceptedError;
  const refit = !scheme.identity || (options.maxAcceptedError !== undefined && options.maxAcceptedError !== info.calibration?.maxAcceptedError);
  if (!refit || options.reviewThreshold !== undefined) return false;
  const needs = scheme.identity ? `a review target of ${options.maxAcceptedError}` : `scheme ${scheme.name}`;
  if (!info.calibrationScores || !info.calibration || target === undefined) {
    throw new WbcError(`${needs} needs a review threshold of its own, fitted on calibration scores that this model predates: run \`wbc calibrate ${modelDir} <the labelled folder it was trained on>\` once, or retrain`);
  }
  return true;
}

/**
 * The trust settings under a reporting scheme: a scheme other than class by class, or another review
 * target, gets its own review threshold, fitted on the calibration scores the model folder keeps (unless
 * the caller set a threshold). `review` says how it was chosen; absent when the model's threshold stands.
 */
export function trustUnderScheme(modelDir: string, info: ModelInfo, trust: Trust, scheme: Scheme, options: SchemeTrustOptions = {}): { trust: Trust; review?: ReviewChoice } {
  if (!needsOwnThreshold(modelDir, info, scheme, options)) return { trust };
  const target = (options.maxAcceptedError ?? info.calibration?.maxAcceptedError)!;
  const kept = info.calibrationScores!;
  const scores = decodeCalibrationScores(readNamedModelFile(modelDir, kept, 'the calibration scores'), kept);
  const review = schemeReviewChoice(scores, trust, scheme, target);
  return { trust: { ...trust, reviewThreshold: review.threshold }, review };
}
