import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/data/decode';
import { loadImages } from '../../src/data/load-images';
import { native } from '../../src/native/binding';
import { WbcError } from '../../src/util/errors';
import { LABELLED, requireData, skipWithoutData } from '../helpers/data';
import { makeTempDir, pixelDifferences, rawImage, touch, withExifOrientation, withinNativeTolerance, writeImage } from '../helpers/images';

/** A textured picture: a smooth wave, hard edges and a ramp, so that any resampling difference shows. */
function textured(height: number) {
  return (x: number, y: number) => [
    Math.round(128 + 100 * Math.sin(x * 0.37 + y * 0.11)),
    (x ^ y) & 255,
    Math.round((255 * y) / Math.max(1, height - 1)),
  ];
}

async function nativeDecode(files: string[], storedSize: number, threads = 2): Promise<{ reasons: string[]; pixels: Buffer }> {
  const pixels = Buffer.alloc(files.length * storedSize * storedSize * 3);
  const reasons = await native().decodeJpegs(files, storedSize, pixels, threads);
  return { reasons, pixels };
}

/** Decodes each file natively and with sharp, and checks that both give the same pixels within NATIVE_JPEG_TOLERANCE. */
async function assertMatchesSharp(files: string[], storedSize: number): Promise<void> {
  const { reasons, pixels } = await nativeDecode(files, storedSize);
  const imageBytes = storedSize * storedSize * 3;
  for (const [k, file] of files.entries()) {
    assert.equal(reasons[k], '', `${file} decoded natively`);
    const difference = pixelDifferences(pixels.subarray(k * imageBytes, (k + 1) * imageBytes), await decodeImage(file, storedSize));
    assert.ok(withinNativeTolerance(difference), `${path.basename(file)} at ${storedSize}: ${JSON.stringify(difference)} against sharp`);
  }
}

/** What loadImages and decodeImage make of a file: its pixels, or its one-line reason. */
async function outcomes(file: string, storedSize: number): Promise<{ loaded: Buffer | string; sharp: Buffer | string }> {
  const result = await loadImages([file], storedSize);
  const loaded = result.loaded.length === 1 ? result.pixels : result.skipped[0].reason;
  const viaSharp = await decodeImage(file, storedSize).catch((error: unknown) => {
    assert.ok(error instanceof WbcError, String(error));
    return error.message;
  });
  return { loaded, sharp: viaSharp };
}

describe('native JPEG decoding', () => {
  const dir = makeTempDir();

  it('matches sharp on JPEGs of many sizes, with and without shrink-on-load and box shrinking', async () => {
    // [width, height, stored size, encoder options]: no resize; plain Lanczos; sharp's shrink-on-load by 2, 4
    // and 8 (with its "one step less" rule); a box shrink before Lanczos; odd sizes; 4:4:4, progressive, grey.
    const cases: [number, number, number, sharp.JpegOptions?][] = [
      [86, 86, 86],
      [24, 18, 16],
      [120, 90, 32, { chromaSubsampling: '4:4:4' }],
      [360, 363, 86],
      [400, 400, 86, { progressive: true }],
      [177, 333, 50],
      [1000, 700, 86],
      [1600, 1200, 16],
      [301, 299, 64, { quality: 60 }],
    ];
    for (const [width, height, storedSize, options] of cases) {
      const file = path.join(dir, `sized-${width}x${height}-${storedSize}.jpg`);
      await sharp(rawImage(width, height, textured(height)), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, ...options }).toFile(file);
      await assertMatchesSharp([file], storedSize);
    }
    const grey = path.join(dir, 'grey.jpg');
    await writeImage(grey, 130, 100, (x, y) => [(x * 3 + y * 5) & 255]);
    assert.equal((await sharp(grey).metadata()).channels, 1);
    await assertMatchesSharp([grey], 40);
  });

  it('applies all eight EXIF orientations as sharp does', async () => {
    const plain = await sharp(rawImage(150, 100, textured(100)), { raw: { width: 150, height: 100, channels: 3 } }).jpeg().toBuffer();
    const files = [];
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      // Both byte orders; an EXIF block alone, since sharp's withMetadata also embeds an ICC profile (declined).
      const file = touch(path.join(dir, `oriented-${orientation}.jpg`), withExifOrientation(plain, orientation, orientation % 2 === 0));
      assert.equal((await sharp(file).metadata()).orientation, orientation);
      files.push(file);
    }
    await assertMatchesSharp(files, 40);
    // The orientation was applied, not ignored: a quarter turn (6) differs from none (1).
    const { pixels } = await nativeDecode([files[0], files[5]], 40);
    assert.ok(pixelDifferences(pixels.subarray(0, 40 * 40 * 3), pixels.subarray(40 * 40 * 3)).mean > 10);
  });

  it('matches sharp on 50 real blood-cell images', { skip: skipWithoutData(LABELLED) }, async () => {
    requireData(LABELLED);
    const root = LABELLED;
    const all = fs.readdirSync(root).sort().flatMap((label) => {
      const folder = path.join(root, label);
      return fs.statSync(folder).isDirectory() ? fs.readdirSync(folder).sort().map((name) => path.join(folder, name)) : [];
    }).filter((file) => file.endsWith('.jpg'));
    const chosen = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 50)) === 0).slice(0, 50);
    assert.equal(chosen.length, 50);
    await assertMatchesSharp(chosen, 86);
  });

  it('gives the same pixels on one thread or several', async () => {
    const files = [];
    for (let i = 0; i < 9; i += 1) {
      files.push(await writeImage(path.join(dir, `threads-${i}.jpg`), 60 + i * 7, 50 + i * 5, textured(50 + i * 5)));
    }
    const one = await nativeDecode(files, 24, 1);
    const three = await nativeDecode(files, 24, 3);
    assert.deepEqual(three.reasons, one.reasons);
    assert.ok(one.pixels.equals(three.pixels));
  });

  it('leaves to sharp what it does not decode as sharp does, and loadImages then gives sharp\'s pixels or reason', async () => {
    const noisy = sharp(rawImage(120, 90, textured(90)), { raw: { width: 120, height: 90, channels: 3 } });
    const jpeg = await noisy.clone().jpeg().toBuffer();
    const bomb = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer());
    const frame = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(30000, frame + 5);
    bomb.writeUInt16BE(30000, frame + 7);
    fs.mkdirSync(path.join(dir, 'folder.jpg'), { recursive: true });
    const declined: [string, string, RegExp][] = [
      ['cmyk.jpg', await noisy.clone().toColourspace('cmyk').jpeg().toBuffer(), /^CMYK or YCCK colour$/],
      ['icc.jpg', await noisy.clone().withIccProfile('p3').jpeg().toBuffer(), /^ICC profile/],
      ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), /^libjpeg: /],
      ['bomb.jpg', bomb, /^over the pixel limit$/],
      ['small.jpg', await noisy.clone().resize(12, 9).jpeg().toBuffer(), /^smaller than the stored size/],
      ['picture.png', await noisy.clone().png().toBuffer(), /^not a JPEG$/],
      ['picture.tif', await noisy.clone().tiff().toBuffer(), /^not a JPEG$/],
      ['text.jpg', 'not an image', /^not a JPEG$/],
      ['empty.jpg', '', /^empty or very large file$/],
    ].map(([name, content, reason]) => [touch(path.join(dir, name as string), content as Buffer), '', reason as RegExp]);
    declined.push([path.join(dir, 'folder.jpg'), '', /^not a regular file$/], [path.join(dir, 'missing.jpg'), '', /^cannot open$/]);
    const { reasons } = await nativeDecode(declined.map(([file]) => file), 16);
    for (const [k, [file, , reason]] of declined.entries()) {
      assert.match(reasons[k], reason, path.basename(file));
      const { loaded, sharp: viaSharp } = await outcomes(file, 16);
      assert.deepEqual(loaded, viaSharp, path.basename(file));
    }
  });

  it('checks its arguments', async () => {
    const file = await writeImage(path.join(dir, 'argument.jpg'), 20, 20, textured(20));
    assert.throws(() => native().decodeJpegs([file, file], 8, Buffer.alloc(8 * 8 * 3), 1), /too small/);
    assert.throws(() => native().decodeJpegs([file], 0, Buffer.alloc(3), 1), /storedSize/);
    assert.throws(() => native().decodeJpegs([file], 8, Buffer.alloc(8 * 8 * 3), 0), /threads/);
    assert.throws(() => native().decodeJpegs([42 as unknown as string], 8, Buffer.alloc(8 * 8 * 3), 1), /string/);
    assert.deepEqual(await native().decodeJpegs([], 8, Buffer.alloc(0), 2), []);
  });
});
