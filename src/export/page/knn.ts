/**
 * The k-NN out-of-scope score in the browser, where the addon cannot run: each row's distance to its k-th
 * nearest row of `bank` (rows of unit length, the model's out-of-scope.bin), computed as the addon's
 * knnDistances does (src/native/addon/knn.cc) so that the page's scores are the CLI's: the row scaled to
 * unit length with each value rounded to float, dot products in doubles over four running sums.
 */
export function knnDistances(bank: Float32Array, features: Float32Array, size: number, k: number): Float32Array {
  const rows = bank.length / size;
  const n = features.length / size;
  const out = new Float32Array(n);
  const unit = new Float32Array(size);
  const top = new Float64Array(k);
  for (let q = 0; q < n; q += 1) {
    let norm = 0;
    for (let j = 0; j < size; j += 1) norm += features[q * size + j] * features[q * size + j];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < size; j += 1) unit[j] = features[q * size + j] * scale;
    top.fill(-Infinity);
    for (let b = 0; b < rows; b += 1) keepLargest(top, dot(unit, bank, b * size, size));
    out[q] = Math.sqrt(Math.max(0, 2 - 2 * top[0]));
  }
  return out;
}

function dot(x: Float32Array, bank: Float32Array, offset: number, size: number): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let j = 0;
  for (; j + 3 < size; j += 4) {
    d0 += x[j] * bank[offset + j];
    d1 += x[j + 1] * bank[offset + j + 1];
    d2 += x[j + 2] * bank[offset + j + 2];
    d3 += x[j + 3] * bank[offset + j + 3];
  }
  for (; j < size; j += 1) d0 += x[j] * bank[offset + j];
  return d0 + d1 + d2 + d3;
}

/** `top` holds the k largest similarities so far, smallest first. */
function keepLargest(top: Float64Array, similarity: number): void {
  if (similarity <= top[0]) return;
  let i = 1;
  while (i < top.length && top[i] < similarity) {
    top[i - 1] = top[i];
    i += 1;
  }
  top[i - 1] = similarity;
}
