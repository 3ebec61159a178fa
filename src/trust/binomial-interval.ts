import { WbcError } from '../util/errors.js';
import { binomialCdf } from './clopper-pearson.js';

export interface Interval {
  low: number;
  high: number;
}

/** The p in [0, 1] where the decreasing function `f` crosses `target`, by bisection. */
function solveDecreasing(f: (p: number) => number, target: number): number {
  let low = 0;
  let high = 1;
  for (let i = 0; i < 200 && high - low > 1e-12; i += 1) {
    const mid = (low + high) / 2;
    if (f(mid) > target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * The exact two-sided Clopper–Pearson interval of a proportion (as in CLSI H20-A2 and Rümke's table for
 * differential counts): the rates p at which `count` of `n` is not in either tail of probability
 * (1 − confidence)/2. 5 of 100 gives 1.64%–11.28%; 0 of 300 gives 0%–1.22%. No trials gives [0, 1].
 */
export function clopperPearsonInterval(count: number, n: number, confidence = 0.95): Interval {
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(count) && count >= 0 && count <= n)) {
    throw new WbcError(`need whole counts with 0 ≤ count ≤ n, got ${count} of ${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new WbcError(`confidence level must be between 0 and 1, got ${confidence}`);
  if (n === 0) return { low: 0, high: 1 };
  const tail = (1 - confidence) / 2;
  // P(X ≥ count) = 1 − cdf(count − 1) rises with p; the lower bound is where it reaches the tail.
  const low = count === 0 ? 0 : solveDecreasing((p) => binomialCdf(count - 1, n, p), 1 - tail);
  const high = count === n ? 1 : solveDecreasing((p) => binomialCdf(count, n, p), tail);
  return { low, high };
}
