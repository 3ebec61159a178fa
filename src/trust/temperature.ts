import { WbcError } from '../util/errors';

/**
 * Row-wise softmax of logits / temperature (row-major, `classes` per row). Temperature scaling
 * (Guo et al. 2017) divides every logit by one scalar: it changes how sure the model says it is,
 * never which class it picks.
 */
export function softmaxRows(logits: Float32Array, classes: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c += 1) max = Math.max(max, logits[row + c] / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c += 1) {
      const e = Math.exp(logits[row + c] / temperature - max);
      out[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c += 1) out[row + c] /= sum;
  }
  return out;
}

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
