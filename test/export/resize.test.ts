import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/data/decode';
import { exifOrientation } from '../../src/export/exif-orientation';
import { jpegLoadShrink, storedSquare } from '../../src/export/resize';
import { LABELLED, requireData, skipWithoutData } from '../helpers/data';
import { makeTempDir, pixelDifferences, writeImage } from '../helpers/images';


/** Texture with every level in play. */
const texture = (x: number, y: number) => [(x * 37 + y * 11) % 256, (x * y + 3 * y) % 256, Math.round(127.5 + 127.5 * Math.sin(x / 3) * Math.cos(y / 5))];

/** The full-size decode a browser hands the page (sharp's, without its resize). */
async function fullDecode(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).rotate().flatten({ background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('a flat colour stays flat, and RGBA input drops its alpha', () => {
  // Shrunk, and enlarged (a picture smaller than the square).
  for (const [width, height, size] of [[50, 70, 7], [20, 30, 48]]) {
    const rgba = new Uint8Array(width * height * 4).map((_, i) => [10, 200, 90, 0][i % 4]);
    const out = storedSquare(rgba, width, height, 4, size, false);
    assert.equal(out.length, size * size * 3);
    assert.ok(out.every((v, i) => v === [10, 200, 90][i % 3]), `${width}×${height} to ${size}`);
  }
});

test('a sharp edge keeps its place: the left half dark, the right half light', () => {
  const side = 40;
  const rgb = new Uint8Array(side * side * 3).map((_, i) => (Math.floor(i / 3) % side < side / 2 ? 0 : 255));
  const out = storedSquare(rgb, side, side, 3, 8, false);
  for (let y = 0; y < 8; y += 1) {
    assert.ok(out[(y * 8 + 1) * 3] < 20 && out[(y * 8 + 6) * 3] > 235);
  }
});

test('a JPEG shrinks on load as sharp decides: 8, 4 or 2, one step less when the shrink is exactly that whole number', () => {
  assert.deepEqual([[360, 86], [360, 64], [360, 45], [400, 50], [400, 100], [170, 86], [86, 86], [1000, 64]].map(([side, size]) => jpegLoadShrink(side, size)), [2, 4, 4, 4, 2, 1, 1, 8]);
});

test('without the JPEG shrink-on-load the pixels are sharp\'s, byte for byte (libvips\' reduce, box shrink and centre crop)', async () => {
  const dir = makeTempDir();
  // At sizes that take each path: Lanczos alone, box then Lanczos, odd crops.
  for (const [width, height] of [[360, 363], [517, 301], [1200, 1000], [97, 96]]) {
    const file = await writeImage(path.join(dir, `t${width}x${height}.png`), width, height, texture);
    const { data, channels } = await fullDecode(file);
    for (const size of [48, 64, 86, 95]) {
      const ours = storedSquare(data, width, height, channels, size, false);
      assert.deepEqual(pixelDifferences(ours, await decodeImage(file, size)), { mean: 0, p99: 0, max: 0 }, `${width}×${height} to ${size}`);
    }
  }
});

test('a picture smaller than the square is enlarged as sharp enlarges it, byte for byte (libvips\' bicubic affine)', async () => {
  const dir = makeTempDir();
  for (const [width, height] of [[20, 30], [50, 37], [33, 80], [97, 96], [1, 1]]) {
    const file = await writeImage(path.join(dir, `t${width}x${height}.png`), width, height, texture);
    const { data, channels } = await fullDecode(file);
    for (const size of [48, 86, 106]) {
      if (Math.min(width, height) >= size) continue;
      const ours = storedSquare(data, width, height, channels, size, false);
      assert.deepEqual(pixelDifferences(ours, await decodeImage(file, size)), { mean: 0, p99: 0, max: 0 }, `${width}×${height} to ${size}`);
    }
  }
});

test('a turned photo (EXIF orientation 2-8) is resized as stored and turned after, as sharp does: byte for byte', async () => {
  const dir = makeTempDir();
  for (let orientation = 2; orientation <= 8; orientation += 1) {
    // Reduced, and enlarged; sides of both parities, so that a wrong turn moves the centre cut.
    for (const [width, height, size] of [[517, 301, 86], [50, 37, 48]]) {
      const file = await writeImage(path.join(dir, `o${orientation}-${width}x${height}.png`), width, height, texture, orientation);
      const { data, width: shownWidth, height: shownHeight, channels } = await fullDecode(file);
      const ours = storedSquare(data, shownWidth, shownHeight, channels, size, false, orientation);
      assert.deepEqual(pixelDifferences(ours, await decodeImage(file, size)), { mean: 0, p99: 0, max: 0 }, `orientation ${orientation}, ${width}×${height} to ${size}`);
    }
  }
});

test('the EXIF orientation is read from a JPEG\'s APP1 segment or a PNG\'s eXIf chunk; none or a WebP\'s reads as 1, a cut file never throws', async () => {
  const dir = makeTempDir();
  for (const format of ['jpg', 'png']) {
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      const file = await writeImage(path.join(dir, `o${orientation}.${format}`), 12, 8, texture, orientation);
      assert.equal(exifOrientation(fs.readFileSync(file)), orientation, file);
    }
    assert.equal(exifOrientation(fs.readFileSync(await writeImage(path.join(dir, `plain.${format}`), 12, 8, texture))), 1);
    const turned = fs.readFileSync(path.join(dir, `o6.${format}`));
    for (let end = 0; end < turned.length; end += 1) assert.ok([1, 6].includes(exifOrientation(turned.subarray(0, end))), `${format} cut at ${end}`);
  }
  // Chromium does not turn a WebP by its EXIF, so the page must not either.
  assert.equal(exifOrientation(fs.readFileSync(await writeImage(path.join(dir, 'turned.webp'), 12, 8, texture, 6))), 1);
});

test('on real JPEGs the page\'s pixels are within a level or two of the CLI\'s (only the DCT shrink-on-load is approximated)', { skip: skipWithoutData(LABELLED) }, async () => {
  requireData(LABELLED);
  // Every 200th photo of each class: the pool's sizes and chroma subsamplings (4:4:4 and 4:2:0) both occur.
  const files = fs.readdirSync(LABELLED).sort().flatMap((folder) => fs.readdirSync(path.join(LABELLED, folder)).sort().filter((_, i) => i % 200 === 0).map((f) => path.join(LABELLED, folder, f)));
  for (const size of [64, 86]) {
    const ours: Uint8Array[] = [];
    const cli: Uint8Array[] = [];
    for (const file of files) {
      const { data, width, height, channels } = await fullDecode(file);
      ours.push(storedSquare(data, width, height, channels, size, true));
      cli.push(await decodeImage(file, size));
    }
    const difference = pixelDifferences(Buffer.concat(ours), Buffer.concat(cli));
    console.log(`# page resize vs the CLI's on ${files.length} photos at ${size} px: mean |difference| ${difference.mean.toFixed(3)} of 255, 99th percentile ${difference.p99}, largest ${difference.max}`);
    assert.ok(difference.mean < 0.5 && difference.p99 <= 2, JSON.stringify(difference));
  }
});
