import type { ViewScores } from '../model/scores';
import type { Predictor } from '../runtime/predictor';
import { adaptiveProbabilities, rowsNeedingViews } from '../trust/adaptive-views';
import { outOfScopeScores, trustedScores, type Trust, type TrustedScores } from '../trust/trust-model';
import { averageLogits } from '../model/scores';
import { requireFinite } from '../model/predict';

/**
 * Scores a batch as `trust` says: a fixed number of views for every image, or adaptively (--tta auto):
 * the plain view for every image, then every view only for the images that view is not sure of.
 */
export async function scoreWithTrust(predictor: Predictor, pixels: Uint8Array, indices: Int32Array, trust: Trust): Promise<TrustedScores> {
  const adaptive = trust.adaptive;
  if (!adaptive) return trustedScores(await predictor.scoreViews(pixels, indices, trust.views as number), trust);
  const one: ViewScores = await predictor.scoreViews(pixels, indices, 1);
  const unsure = rowsNeedingViews(one.logitsPerView[0], one.classes, adaptive);
  const many = unsure.length === 0
    ? new Float32Array(0)
    : averageLogits((await predictor.scoreViews(pixels, Int32Array.from(unsure, (row) => indices[row]), adaptive.views)).logitsPerView);
  return {
    probabilities: requireFinite(adaptiveProbabilities(one.logitsPerView[0], unsure, many, one.classes, adaptive)),
    outOfScopeScores: outOfScopeScores(one, trust),
  };
}
