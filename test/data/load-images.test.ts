import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadImages } from '../../src/data/load-images';
import { PixelCache } from '../../src/data/pixel-cache';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, pixelAt, touch, writeSolid } from '../helpers/images';

describe('loadImages', () => {
  const dir = makeTempDir();
  const size = 6;
  const imageBytes = size * size * 3;

  async function mixedPaths(): Promise<string[]> {
    return [
      await writeSolid(path.join(dir, 'red.png'), 12, 9, [250, 0, 0]),
      touch(path.join(dir, 'text.jpg'), 'not an image'),
      await writeSolid(path.join(dir, 'green.png'), 9, 12, [0, 250, 0]),
      path.join(dir, 'missing.png'),
      await writeSolid(path.join(dir, 'blue.png'), 10, 10, [0, 0, 250]),
    ];
  }

  it('skips files that fail with their reasons and packs the rest in input order', async () => {
    const paths = await mixedPaths();
    for (const concurrency of [1, 4]) {
      const result = await loadImages(paths, size, { concurrency });
      assert.equal(result.storedSize, size);
      assert.deepEqual(result.loaded, [0, 2, 4]);
      assert.deepEqual(result.skipped, [
        {
          path: paths[1],
          reason: `${paths[1]}: not a readable image (not an image file, or a format this build cannot decode)`,
        },
        { path: paths[3], reason: `${paths[3]}: no such file` },
      ]);
      assert.equal(result.pixels.length, 3 * imageBytes);
      assert.deepEqual(pixelAt(result.pixels, size, 3, 3, 0), [250, 0, 0]);
      assert.deepEqual(pixelAt(result.pixels, size, 3, 3, 1), [0, 250, 0]);
      assert.deepEqual(pixelAt(result.pixels, size, 3, 3, 2), [0, 0, 250]);
      // Compacted in place: the result views the one buffer allocated for all five paths.
      assert.equal(result.pixels.buffer.byteLength, paths.length * imageBytes);
    }
  });

  it('reports progress once per file, ending at the total', async () => {
    const paths = await mixedPaths();
    const reports: [number, number][] = [];
    await loadImages(paths, size, { onProgress: (done, total) => reports.push([done, total]) });
    assert.deepEqual(reports, [1, 2, 3, 4, 5].map((done) => [done, 5]));
  });

  it('takes cached pixels instead of decoding, and fills the cache on a miss', async () => {
    const red = await writeSolid(path.join(dir, 'cached-red.png'), 8, 8, [250, 0, 0]);
    const green = await writeSolid(path.join(dir, 'cached-green.png'), 8, 8, [0, 250, 0]);
    const cache = new PixelCache(path.join(dir, 'cache'));
    // Pixels no decoder would produce from the red file prove the cache was used.
    cache.put(red, size, Buffer.alloc(imageBytes, 42));
    const result = await loadImages([red, green], size, { cache });
    assert.deepEqual(pixelAt(result.pixels, size, 0, 0, 0), [42, 42, 42]);
    assert.deepEqual(pixelAt(result.pixels, size, 0, 0, 1), [0, 250, 0]);
    assert.deepEqual(cache.get(green, size), result.pixels.subarray(imageBytes));
  });

  it('handles an empty list and refuses a bad concurrency', async () => {
    const result = await loadImages([], size);
    assert.equal(result.pixels.length, 0);
    assert.deepEqual(result.loaded, []);
    await assert.rejects(loadImages([], size, { concurrency: 0 }), WbcError);
  });
});
