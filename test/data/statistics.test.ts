import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelStatistics } from '../../src/data/statistics';
import { WbcError } from '../../src/util/errors';

function assertClose(actual: number[], expected: number[]): void {
  actual.forEach((value, c) => assert.ok(Math.abs(value - expected[c]) < 1e-12, `channel ${c}: ${value} vs ${expected[c]}`));
}

describe('channelStatistics', () => {
  it('matches a hand computation over two images', () => {
    // Two 1×1 images: (0, 51, 255) and (255, 153, 255).
    const pixels = Uint8Array.from([0, 51, 255, 255, 153, 255]);
    const { mean, std } = channelStatistics(pixels, 1, 1, [0, 1]);
    assertClose(mean, [0.5, 0.4, 1]);
    // Red: 0 and 1 → std 0.5; green: 0.2 and 0.6 → std 0.2; blue: flat → the 1e-3 floor.
    assertClose(std, [0.5, 0.2, 1e-3]);
  });

  it('uses only the centred input region of the chosen images', () => {
    const storedSize = 4;
    const imageBytes = storedSize * storedSize * 3;
    // Three 4×4 images, all 255 except the centred 2×2 region; the middle image is not chosen.
    const pixels = new Uint8Array(3 * imageBytes).fill(255);
    const centre = [
      [1, 1],
      [2, 1],
      [1, 2],
      [2, 2],
    ];
    [[0, 0, 0, 0], [7, 7, 7, 7], [102, 102, 102, 102]].forEach((values, image) => {
      centre.forEach(([x, y], k) => pixels.fill(values[k], image * imageBytes + (y * storedSize + x) * 3, image * imageBytes + (y * storedSize + x) * 3 + 3));
    });
    const { mean, std } = channelStatistics(pixels, storedSize, 2, [0, 2]);
    // Half the values are 0, half 0.4: mean 0.2, std 0.2.
    assertClose(mean, [0.2, 0.2, 0.2]);
    assertClose(std, [0.2, 0.2, 0.2]);
  });

  it('refuses an input size larger than the stored size, an image that is not loaded, or no images', () => {
    const pixels = new Uint8Array(2 * 2 * 3);
    assert.throws(() => channelStatistics(pixels, 2, 3, [0]), WbcError);
    assert.throws(() => channelStatistics(pixels, 2, 2, [1]), WbcError);
    assert.throws(() => channelStatistics(pixels, 2, 2, []), WbcError);
  });
});
