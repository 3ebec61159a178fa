/**
 * Test-time views of square RGB images in HWC byte order, the same flips and quarter turns as the
 * LibTorch engine (src/native/addon/batch.cc, plainView): view bit 0 flips left-right, bit 1 flips
 * top-bottom, and bit 2 swaps rows and columns. On the whole stored image these commute with the
 * centre crop, since its margins are equal. Also how averaged logits become probabilities, one softmax
 * for every runtime and the browser page. No imports: the web page compiles this file too.
 */

/** Writes view `view` of the `size`×`size` image at `source[sourceOffset]` to `target[targetOffset]`. */
export function writeView(source: Uint8Array, sourceOffset: number, size: number, view: number, target: Uint8Array, targetOffset: number): void {
  const flipX = (view & 1) !== 0;
  const flipY = (view & 2) !== 0;
  const transpose = (view & 4) !== 0;
  const last = size - 1;
  let out = targetOffset;
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      let sourceRow: number;
      let sourceColumn: number;
      if (transpose) {
        sourceRow = flipY ? last - column : column;
        sourceColumn = flipX ? last - row : row;
      } else {
        sourceRow = flipY ? last - row : row;
        sourceColumn = flipX ? last - column : column;
      }
      const from = sourceOffset + (sourceRow * size + sourceColumn) * 3;
      target[out] = source[from];
      target[out + 1] = source[from + 1];
      target[out + 2] = source[from + 2];
      out += 3;
    }
  }
}

/**
 * A batch of views `first` to `views - 1` of each of `count` images, view-major: view v of image i is at
 * (v - first) * count + i, so that the network's output rows for one view are contiguous.
 */
export function viewBatch(images: Uint8Array, count: number, size: number, views: number, first = 0): Uint8Array {
  const imageBytes = size * size * 3;
  const batch = new Uint8Array((views - first) * count * imageBytes);
  for (let view = first; view < views; view += 1) {
    for (let i = 0; i < count; i += 1) writeView(images, i * imageBytes, size, view, batch, ((view - first) * count + i) * imageBytes);
  }
  return batch;
}

/** The mean over views of view-major rows (views × count × classes) -> count × classes. */
export function averageViews(rows: Float32Array, count: number, classes: number, views: number): Float32Array {
  const average = new Float32Array(count * classes);
  for (let view = 0; view < views; view += 1) {
    const offset = view * count * classes;
    for (let k = 0; k < average.length; k += 1) average[k] += rows[offset + k];
  }
  for (let k = 0; k < average.length; k += 1) average[k] /= views;
  return average;
}

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
