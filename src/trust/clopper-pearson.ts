import { WbcError } from '../util/errors.js';

/** log(a + b) from log a and log b, without overflow. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** P(X ≤ k) for X ~ Binomial(n, p), summed in log space so that large n does not underflow. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  let logTerm = n * Math.log1p(-p);
  let logSum = logTerm;
  const logRatio = Math.log(p) - Math.log1p(-p);
  for (let i = 0; i < k; i += 1) {
    logTerm += Math.log(n - i) - Math.log(i + 1) + logRatio;
    logSum = logAdd(logSum, logTerm);
  }
  return Math.min(1, Math.exp(logSum));
}

function requireCounts(errors: number, n: number, confidence: number): void {
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(errors) && errors >= 0 && errors <= n)) {
    throw new WbcError(`need whole counts with 0 ≤ errors ≤ n, got ${errors} errors of ${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new WbcError(`confidence level must be between 0 and 1, got ${confidence}`);
}

/**
 * The one-sided Clopper–Pearson upper bound of an error rate: the largest rate p at which seeing
 * `errors` or fewer in `n` trials still has probability ≥ 1 − confidence. With no trials it is 1.
 * 0 errors in 300 gives 1 − 0.05^(1/300) ≈ 0.0099 at 95%.
 */
export function clopperPearsonUpper(errors: number, n: number, confidence = 0.95): number {
  requireCounts(errors, n, confidence);
  if (errors === n) return 1;
  const alpha = 1 - confidence;
  let low = errors / n;
  let high = 1;
  for (let i = 0; i < 200 && high - low > 1e-12; i += 1) {
    const mid = (low + high) / 2;
    if (binomialCdf(errors, n, mid) > alpha) low = mid;
    else high = mid;
  }
  return high;
}

/** Whether the upper bound is at most `maxRate`, without solving for the bound (the CDF falls as the rate rises). */
export function upperBoundAtMost(errors: number, n: number, maxRate: number, confidence = 0.95): boolean {
  requireCounts(errors, n, confidence);
  if (n === 0 || errors === n) return maxRate >= 1;
  return binomialCdf(errors, n, maxRate) <= 1 - confidence;
}
