/**
 * Test-time views of square RGB images in HWC byte order, the same flips and quarter turns as the
 * LibTorch engine (src/native/addon/batch.cc, plainView): view bit 0 flips left-right, bit 1 flips
 * top-bottom, and bit 2 swaps rows and columns. On the whole stored image these commute with the
 * centre crop, since its margins are equal. No imports: the web page compiles this file too.
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
 * A batch of `views` views of each of `count` images, view-major: view v of image i is at v * count + i,
 * so that the network's output rows for one view are contiguous.
 */
export function viewBatch(images: Uint8Array, count: number, size: number, views: number): Uint8Array {
  const imageBytes = size * size * 3;
  const batch = new Uint8Array(views * count * imageBytes);
  for (let view = 0; view < views; view += 1) {
    for (let i = 0; i < count; i += 1) writeView(images, i * imageBytes, size, view, batch, (view * count + i) * imageBytes);
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

/** softmax(row / temperature) of each `classes`-wide row: how averaged logits become probabilities. */
export function softmaxRows(logits: Float32Array, classes: number, temperature: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let start = 0; start < logits.length; start += classes) {
    let top = -Infinity;
    for (let c = 0; c < classes; c += 1) top = Math.max(top, logits[start + c] / temperature);
    let total = 0;
    for (let c = 0; c < classes; c += 1) {
      out[start + c] = Math.exp(logits[start + c] / temperature - top);
      total += out[start + c];
    }
    for (let c = 0; c < classes; c += 1) out[start + c] /= total;
  }
  return out;
}
