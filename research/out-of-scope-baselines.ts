/**
 * Out-of-scope scores that the leave-one-class-out study (out-of-scope.ts) compares with the product's
 * k-NN and relative Mahalanobis scores, and the AUROC it ranks them by. The product uses none of them.
 */

/** Energy score (Liu et al. 2020): −logsumexp(logits); higher for images the network responds to weakly. */
export function energyScores(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length / classes);
  for (let row = 0; row < out.length; row += 1) {
    let max = -Infinity;
    for (let c = 0; c < classes; c += 1) max = Math.max(max, logits[row * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c += 1) sum += Math.exp(logits[row * classes + c] - max);
    out[row] = -(max + Math.log(sum));
  }
  return out;
}

/** Max-softmax baseline (Hendrycks & Gimpel 2017): one minus the top class probability. */
export function maxSoftmaxScores(probabilities: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(probabilities.length / classes);
  for (let row = 0; row < out.length; row += 1) {
    let max = 0;
    for (let c = 0; c < classes; c += 1) max = Math.max(max, probabilities[row * classes + c]);
    out[row] = 1 - max;
  }
  return out;
}

/** Area under the ROC curve for telling `positives` (out of scope) from `negatives` by score; ties count half. */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const all = [...Array.from(positives, (s) => [s, 1]), ...Array.from(negatives, (s) => [s, 0])].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j += 1;
    const meanRank = (i + 1 + j) / 2;
    for (let m = i; m < j; m += 1) if (all[m][1] === 1) rankSum += meanRank;
    i = j;
  }
  const p = positives.length;
  const n = negatives.length;
  if (p === 0 || n === 0) return NaN;
  return (rankSum - (p * (p + 1)) / 2) / (p * n);
}
