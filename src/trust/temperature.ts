import { WbcError } from '../util/errors';

/** Mean negative log-likelihood of the true labels under softmax(logits · inverseTemperature). */
export function meanNll(logits: Float32Array, labels: ArrayLike<number>, classes: number, inverseTemperature: number): number {
  let total = 0;
  for (let i = 0; i < labels.length; i += 1) {
    const row = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c += 1) max = Math.max(max, logits[row + c] * inverseTemperature);
    let sum = 0;
    for (let c = 0; c < classes; c += 1) sum += Math.exp(logits[row + c] * inverseTemperature - max);
    total += max + Math.log(sum) - logits[row + labels[i]] * inverseTemperature;
  }
  return labels.length ? total / labels.length : 0;
}

const LOWEST_TEMPERATURE = 0.05;
const HIGHEST_TEMPERATURE = 20;

/**
 * The temperature that minimises the negative log-likelihood of `labels`. The NLL is convex in the
 * inverse temperature, so a golden-section search over it finds the global minimum. Returns 1
 * (no change) when there is nothing to fit.
 */
export function fitTemperature(logits: Float32Array, labels: ArrayLike<number>, classes: number): number {
  if (logits.length !== labels.length * classes) {
    throw new WbcError(`cannot fit a temperature: ${logits.length} logits for ${labels.length} labels × ${classes} classes`);
  }
  if (labels.length === 0) return 1;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let low = 1 / HIGHEST_TEMPERATURE;
  let high = 1 / LOWEST_TEMPERATURE;
  let a = high - ratio * (high - low);
  let b = low + ratio * (high - low);
  let fa = meanNll(logits, labels, classes, a);
  let fb = meanNll(logits, labels, classes, b);
  while (high - low > 1e-5) {
    if (fa < fb) {
      high = b; b = a; fb = fa;
      a = high - ratio * (high - low);
      fa = meanNll(logits, labels, classes, a);
    } else {
      low = a; a = b; fa = fb;
      b = low + ratio * (high - low);
      fb = meanNll(logits, labels, classes, b);
    }
  }
  return 1 / ((low + high) / 2);
}
