import { requireFinite } from '../model/predict';
import { averageLogits, type ViewScores } from '../model/scores';
import type { Predictor } from '../runtime/predictor';
import { adaptiveProbabilities, rowsNeedingViews } from './adaptive-views';
import { outOfScopeScores, trustedScores, type Trust, type TrustedScores } from './trust-model';

/**
 * The averaged logits of all `views` views of the images at `rows` of `indices`, in that order: the plain
 * view's logits are already in `one`, so only the other views are scored.
 */
async function allViewsLogits(predictor: Predictor, pixels: Uint8Array, indices: Int32Array, rows: readonly number[], one: ViewScores, views: number): Promise<Float32Array> {
  const { classes } = one;
  const plain = new Float32Array(rows.length * classes);
  rows.forEach((row, i) => plain.set(one.logitsPerView[0].subarray(row * classes, (row + 1) * classes), i * classes));
  const others = await predictor.scoreViews(pixels, Int32Array.from(rows, (row) => indices[row]), views, 1);
  return averageLogits([plain, ...others.logitsPerView]);
}

/**
 * Scores a batch as `trust` says: a fixed number of views for every image, or adaptively (--tta auto):
 * the plain view for every image, then every view only for the images that view is not sure of.
 */
export async function scoreWithTrust(predictor: Predictor, pixels: Uint8Array, indices: Int32Array, trust: Trust): Promise<TrustedScores> {
  const adaptive = trust.adaptive;
  if (!adaptive) return trustedScores(await predictor.scoreViews(pixels, indices, trust.views as number), trust);
  const one: ViewScores = await predictor.scoreViews(pixels, indices, 1);
  const unsure = rowsNeedingViews(one.logitsPerView[0], one.classes, adaptive);
  const many = unsure.length === 0 ? new Float32Array(0) : await allViewsLogits(predictor, pixels, indices, unsure, one, adaptive.views);
  return {
    probabilities: requireFinite(adaptiveProbabilities(one.logitsPerView[0], unsure, many, one.classes, adaptive)),
    outOfScopeScores: await outOfScopeScores(one, trust),
  };
}
