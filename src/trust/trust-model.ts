import type { ModelInfo } from '../model/model-folder';
import type { NativeEngine } from '../native/binding';
import { WbcError } from '../util/errors';
import { KnnScorer, MahalanobisScorer } from './out-of-scope';
import { requireFinite } from '../model/predict';
import { averageLogits, scoreViews, type ViewScores } from './scores';
import { softmaxRows } from './temperature';

/** How a loaded model turns network outputs into calibrated confidences and flags, for one view count. */
export interface Trust {
  views: number;
  temperature: number;
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

/**
 * The temperature and thresholds for `views` test-time views. A model from before calibration
 * gets temperature 1, its old review threshold and no out-of-scope check, and a note saying so.
 */
export function trustFor(info: ModelInfo, outOfScopeBytes: Uint8Array | undefined, views: number, reviewThreshold?: number): Trust {
  const outOfScope = outOfScopeScorer(info, outOfScopeBytes);
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

/** Scores images: views' logits averaged, softmax(average / temperature), and the plain view's out-of-scope score. */
export async function scoreTrusted(engine: NativeEngine, pixels: Uint8Array, indices: Int32Array, trust: Trust): Promise<TrustedScores> {
  return trustedScores(await scoreViews(engine, pixels, indices, trust.views), trust);
}

/** The same from scores already computed, by whichever runtime (src/model/predictor.ts). */
export function trustedScores(scored: ViewScores, trust: Trust): TrustedScores {
  return {
    probabilities: requireFinite(softmaxRows(averageLogits(scored.logitsPerView), scored.classes, trust.temperature)),
    outOfScopeScores: trust.outOfScope ? trust.outOfScope.score(scored.features) : null,
  };
}
