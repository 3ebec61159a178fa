import { WbcError } from '../util/errors';

/**
 * Per-channel mean and standard deviation of pixel values scaled to [0, 1], over the centred
 * inputSize×inputSize region of the chosen images (positions in `pixels`): the region the network sees.
 */
export function channelStatistics(
  pixels: Uint8Array,
  storedSize: number,
  inputSize: number,
  images: ArrayLike<number>,
): { mean: [number, number, number]; std: [number, number, number] } {
  if (!Number.isInteger(inputSize) || inputSize < 1 || inputSize > storedSize) {
    throw new WbcError(`input size must be a whole number from 1 to the stored size ${storedSize}, got ${inputSize}`);
  }
  const imageBytes = storedSize * storedSize * 3;
  const loaded = Math.floor(pixels.length / imageBytes);
  const count = images.length;
  for (let i = 0; i < count; i += 1) {
    if (!Number.isInteger(images[i]) || images[i] < 0 || images[i] >= loaded) {
      throw new WbcError(`cannot compute colour statistics of image ${images[i]}; ${loaded} are loaded`);
    }
  }
  if (count === 0) throw new WbcError('cannot compute colour statistics of no images');
  const offset = Math.floor((storedSize - inputSize) / 2);
  // Integer sums stay exact in float64 far beyond any realistic data set, so the variance has no rounding drift.
  const sum = [0, 0, 0];
  const sumOfSquares = [0, 0, 0];
  for (let k = 0; k < count; k += 1) {
    const image = images[k];
    for (let y = offset; y < offset + inputSize; y += 1) {
      const rowStart = image * imageBytes + (y * storedSize + offset) * 3;
      const rowEnd = rowStart + inputSize * 3;
      for (let i = rowStart; i < rowEnd; i += 3) {
        const r = pixels[i];
        const g = pixels[i + 1];
        const b = pixels[i + 2];
        sum[0] += r;
        sum[1] += g;
        sum[2] += b;
        sumOfSquares[0] += r * r;
        sumOfSquares[1] += g * g;
        sumOfSquares[2] += b * b;
      }
    }
  }
  const n = count * inputSize * inputSize;
  const mean = sum.map((s) => s / n / 255);
  const std = sumOfSquares.map((s, c) => {
    const variance = s / n / (255 * 255) - mean[c] * mean[c];
    // A flat channel would otherwise make normalisation divide by zero.
    return Math.max(Math.sqrt(Math.max(variance, 0)), 1e-3);
  });
  return { mean: [mean[0], mean[1], mean[2]], std: [std[0], std[1], std[2]] };
}
