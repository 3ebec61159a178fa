import type { Scheme } from './scheme.js';

/**
 * Each category's probability: the sum of its classes' calibrated probabilities (n × classes in,
 * n × categories out), summed in class order so that a one-class category is exactly its class's probability.
 */
export function categoryProbabilities(probabilities: Float32Array, scheme: Scheme): Float32Array {
  const classes = scheme.categoryOfClass.length;
  const categories = scheme.categories.length;
  const rows = probabilities.length / classes;
  const out = new Float32Array(rows * categories);
  for (let row = 0; row < rows; row += 1) {
    for (let c = 0; c < classes; c += 1) out[row * categories + scheme.categoryOfClass[c]] += probabilities[row * classes + c];
  }
  return out;
}

/** The most probable category of a row of category probabilities; ties go to the earlier category. */
export function topCategory(categoryRow: ArrayLike<number>): { category: number; confidence: number } {
  let category = 0;
  for (let k = 1; k < categoryRow.length; k += 1) if (categoryRow[k] > categoryRow[category]) category = k;
  return { category, confidence: categoryRow[category] };
}
