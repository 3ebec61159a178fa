import type { ModelInfo } from '../model/model-folder';
import type { AdaptiveCalibration } from '../model/model-schema';
import { probabilitiesOf } from '../model/predict';
import type { ViewScores } from '../model/scores';
import { WbcError } from '../util/errors';
import { KnnScorer, MahalanobisScorer } from './out-of-scope';

/** Test-time views: a fixed count for every image, or `auto` (adaptive: src/trust/adaptive-views.ts). */
export type ViewChoice = 1 | 2 | 4 | 8 | 'auto';
export const VIEW_CHOICES: readonly ViewChoice[] = [1, 2, 4, 8, 'auto'];

/** How a loaded model turns network outputs into calibrated confidences and flags, for one choice of views. */
export interface Trust {
  views: ViewChoice;
  /** With a fixed view count: the averaged logits are divided by this before the softmax. */
  temperature: number;
  /** With `auto`: the cut and the temperatures of the adaptive answers. */
  adaptive?: AdaptiveCalibration;
  reviewThreshold: number;
  outOfScope?: { score(features: Float32Array): Float32Array; threshold: number };
  /** Said once per run: why the answers are less trustworthy than a calibrated model's, if they are. */
  note?: string;
}

function outOfScopeScorer(info: ModelInfo, bytes: Uint8Array | undefined): Trust['outOfScope'] {
  const spec = info.outOfScope;
  if (!spec) return undefined;
  if (!bytes || bytes.byteLength % 4 !== 0) throw new WbcError(`the model's ${spec.file} is missing or damaged`);
  const copy = new Uint8Array(bytes); // aligned, and independent of the file buffer
  const array = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  const scorer = spec.method === 'knn'
    ? new KnnScorer(array, spec.featureSize, spec.neighbours)
    : MahalanobisScorer.fromArray(array, spec.featureSize, info.classes.length);
  return { score: (features) => scorer.score(features), threshold: spec.threshold };
}

/** `auto` where the model was calibrated for it, else the model's own view count. */
export function defaultViews(info: ModelInfo): ViewChoice {
  return info.calibration?.adaptive ? 'auto' : info.testTimeViews as ViewChoice;
}

/** The test-time views and review threshold a model scores with when none are chosen, in words (`wbc info`, the model report). */
export function defaultScoring(info: ModelInfo): { views: string; reviewThreshold: number } {
  const adaptive = info.calibration?.adaptive;
  if (adaptive) return { views: `adaptive (1, or ${adaptive.views} where one view is not sure)`, reviewThreshold: adaptive.review.threshold };
  return { views: String(info.testTimeViews), reviewThreshold: info.reviewThreshold };
}

/**
 * The temperature and thresholds for `views` test-time views (the default: defaultViews). A model from
 * before calibration gets temperature 1, its old review threshold and no out-of-scope check, and a note saying so.
 */
export function trustFor(info: ModelInfo, outOfScopeBytes: Uint8Array | undefined, choice?: ViewChoice, reviewThreshold?: number): Trust {
  const outOfScope = outOfScopeScorer(info, outOfScopeBytes);
  const views = choice ?? defaultViews(info);
  if (views === 'auto') {
    const adaptive = info.calibration?.adaptive;
    if (!adaptive) throw new WbcError('this model was not calibrated for adaptive test-time views (--tta auto); choose --tta 1, 2, 4 or 8, or add them with wbc calibrate (an eight-view model) or by retraining');
    return { views, temperature: adaptive.unsureTemperature, adaptive, reviewThreshold: reviewThreshold ?? adaptive.review.threshold, outOfScope };
  }
  const fitted = info.calibration?.byViews[String(views)];
  if (!fitted) {
    const note = info.calibration
      ? `this model has no calibration for ${views} test-time views: confidences are uncalibrated (temperature 1)`
      : `this model predates calibration: confidences are the network's uncalibrated softmax, the review threshold is its old ${info.reviewThreshold}, and no out-of-scope check is made (retrain to get them)`;
    return { views, temperature: 1, reviewThreshold: reviewThreshold ?? info.reviewThreshold, outOfScope, note };
  }
  return { views, temperature: fitted.temperature, reviewThreshold: reviewThreshold ?? fitted.review.threshold, outOfScope };
}

export interface TrustedScores {
  /** Calibrated class probabilities, n × classes. */
  probabilities: Float32Array;
  /** Out-of-scope scores and flags; null when the model has no out-of-scope statistics. */
  outOfScopeScores: Float32Array | null;
}

/** Calibrated scores from a runtime's scored views (src/runtime/predictor.ts): softmax(average logits / temperature), and the plain view's out-of-scope score. */
export function trustedScores(scored: ViewScores, trust: Trust): TrustedScores {
  return { probabilities: probabilitiesOf(scored, trust.temperature), outOfScopeScores: outOfScopeScores(scored, trust) };
}

/** The plain view's out-of-scope scores; null when the model has no out-of-scope statistics. */
export function outOfScopeScores(scored: ViewScores, trust: Trust): Float32Array | null {
  return trust.outOfScope ? trust.outOfScope.score(scored.features) : null;
}

/** The views and temperatures in a few words, for the command line's summaries. */
export function describeViews(trust: Trust): string {
  const a = trust.adaptive;
  if (!a) return `${trust.views} test-time view(s), temperature ${trust.temperature.toFixed(3)}`;
  return `adaptive test-time views (1, or ${a.views} below ${(a.cut * 100).toFixed(1)}% one-view confidence), temperatures ${a.sureTemperature.toFixed(3)} and ${a.unsureTemperature.toFixed(3)}`;
}
