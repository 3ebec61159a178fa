import { Rng } from '../util/rng';
import type { FeatureSet } from './smote';

export interface LinearHead {
  /** classes × feature size, row-major. */
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Fits a softmax-regression head (the network's last layer) on fixed feature vectors with Adam
 * and mini-batches. Small enough to run in JavaScript: a few thousand samples of ~128 values.
 */
export function fitLinearHead(set: FeatureSet, classes: number, rng: Rng, options = { epochs: 60, batchSize: 256, learningRate: 0.01, weightDecay: 1e-4 }): LinearHead {
  const size = set.size;
  const parameters = new Float32Array(classes * (size + 1)); // weights, then biases
  const gradient = new Float64Array(parameters.length);
  const m = new Float64Array(parameters.length);
  const v = new Float64Array(parameters.length);
  const logits = new Float64Array(classes);
  const order = Array.from(set.labels.keys());
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;

  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    rng.shuffle(order);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      gradient.fill(0);
      for (const sample of batch) {
        const x = set.features.subarray(sample * size, (sample + 1) * size);
        let max = -Infinity;
        for (let c = 0; c < classes; c += 1) {
          let z = parameters[classes * size + c];
          for (let d = 0; d < size; d += 1) z += parameters[c * size + d] * x[d];
          logits[c] = z;
          if (z > max) max = z;
        }
        let total = 0;
        for (let c = 0; c < classes; c += 1) total += (logits[c] = Math.exp(logits[c] - max));
        for (let c = 0; c < classes; c += 1) {
          const error = (logits[c] / total - (set.labels[sample] === c ? 1 : 0)) / batch.length;
          for (let d = 0; d < size; d += 1) gradient[c * size + d] += error * x[d];
          gradient[classes * size + c] += error;
        }
      }
      step += 1;
      for (let p = 0; p < parameters.length; p += 1) {
        const g = gradient[p] + (p < classes * size ? options.weightDecay * parameters[p] : 0);
        m[p] = beta1 * m[p] + (1 - beta1) * g;
        v[p] = beta2 * v[p] + (1 - beta2) * g * g;
        const mHat = m[p] / (1 - beta1 ** step);
        const vHat = v[p] / (1 - beta2 ** step);
        parameters[p] -= (options.learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
  }
  return { weight: parameters.slice(0, classes * size), bias: parameters.slice(classes * size) };
}
