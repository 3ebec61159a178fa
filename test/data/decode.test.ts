import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/data/decode';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, pixelAt, rawImage, touch, writeImage, writeSolid } from '../helpers/images';

const RED = [220, 20, 20];
const GREEN = [20, 220, 20];
const BLUE = [20, 20, 220];

function dominant([r, g, b]: number[]): 'red' | 'green' | 'blue' {
  return r > g && r > b ? 'red' : g > b ? 'green' : 'blue';
}

async function rejection(promise: Promise<unknown>): Promise<WbcError> {
  const error = await promise.then(
    () => assert.fail('expected the decode to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof WbcError, `expected a WbcError, got ${String(error)}`);
  return error;
}

/** A PNG whose header claims width×height pixels, with no real image data behind it. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    let crc = 0xffffffff;
    for (const byte of body) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE((crc ^ 0xffffffff) >>> 0, body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A minimal uncompressed 24-bit BMP. */
function bmp(width: number, height: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const file = Buffer.alloc(54 + rowBytes * height, 0x80);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(0, 6);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(0, 30);
  file.writeUInt32LE(rowBytes * height, 34);
  file.fill(0, 38, 54);
  return file;
}

describe('decodeImage', () => {
  const dir = makeTempDir();

  it('gives exactly storedSize²×3 bytes of the solid colour', async () => {
    const file = await writeSolid(path.join(dir, 'solid.png'), 40, 30, [200, 100, 50]);
    const pixels = await decodeImage(file, 16);
    assert.equal(pixels.length, 16 * 16 * 3);
    for (let i = 0; i < pixels.length; i += 3) assert.deepEqual([...pixels.subarray(i, i + 3)], [200, 100, 50]);
  });

  it('keeps the centred square of a wide image', async () => {
    // Three vertical bands: only the middle one lies in the centred 20×20 square.
    const file = await writeImage(path.join(dir, 'wide.png'), 60, 20, (x) => (x < 20 ? RED : x < 40 ? GREEN : BLUE));
    const pixels = await decodeImage(file, 20);
    for (let i = 0; i < pixels.length; i += 3) assert.deepEqual([...pixels.subarray(i, i + 3)], GREEN);
  });

  it('keeps the centred square of a tall image while resizing, with its left and right halves intact', async () => {
    // Top and bottom bands fall outside the square; inside it the left half is red and the right half blue.
    const file = await writeImage(path.join(dir, 'tall.png'), 40, 120, (x, y) =>
      y < 40 || y >= 80 ? GREEN : x < 20 ? RED : BLUE,
    );
    const pixels = await decodeImage(file, 10);
    for (let y = 0; y < 10; y += 1) {
      for (const x of [0, 1, 2, 3]) assert.equal(dominant(pixelAt(pixels, 10, x, y)), 'red', `(${x}, ${y})`);
      for (const x of [6, 7, 8, 9]) assert.equal(dominant(pixelAt(pixels, 10, x, y)), 'blue', `(${x}, ${y})`);
    }
  });

  it('converts grayscale to three equal channels', async () => {
    const file = await writeImage(path.join(dir, 'gray.png'), 30, 30, () => [77]);
    assert.equal((await sharp(file).metadata()).channels, 1);
    const pixels = await decodeImage(file, 8);
    assert.equal(pixels.length, 8 * 8 * 3);
    assert.ok(pixels.every((value) => value === 77));
  });

  it('flattens transparency onto white', async () => {
    // Transparent black on the left, opaque red on the right.
    const file = await writeImage(path.join(dir, 'rgba.png'), 20, 20, (x) => (x < 10 ? [0, 0, 0, 0] : [255, 0, 0, 255]));
    const pixels = await decodeImage(file, 20);
    assert.deepEqual(pixelAt(pixels, 20, 2, 5), [255, 255, 255]);
    assert.deepEqual(pixelAt(pixels, 20, 17, 5), [255, 0, 0]);

    const grayAlpha = await writeImage(path.join(dir, 'gray-alpha.png'), 20, 20, (x) => (x < 10 ? [0, 0] : [40, 255]));
    assert.equal((await sharp(grayAlpha).metadata()).channels, 2);
    const flattened = await decodeImage(grayAlpha, 20);
    assert.deepEqual(pixelAt(flattened, 20, 2, 5), [255, 255, 255]);
    assert.deepEqual(pixelAt(flattened, 20, 17, 5), [40, 40, 40]);
  });

  it('converts a CMYK JPEG and a 16-bit PNG to 8-bit RGB', async () => {
    const cmyk = path.join(dir, 'cmyk.jpg');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 200, g: 60, b: 60 } } })
      .toColourspace('cmyk')
      .jpeg()
      .toFile(cmyk);
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    assert.equal(dominant(pixelAt(await decodeImage(cmyk, 8), 8, 4, 4)), 'red');

    const deep = path.join(dir, 'deep.png');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 30, g: 200, b: 60 } } })
      .toColourspace('rgb16')
      .png()
      .toFile(deep);
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    const pixels = await decodeImage(deep, 8);
    assert.equal(pixels.length, 8 * 8 * 3);
    for (const [actual, expected] of pixelAt(pixels, 8, 4, 4).map((value, c) => [value, [30, 200, 60][c]])) {
      assert.ok(Math.abs(actual - expected) <= 2, `${actual} vs ${expected}`);
    }
  });

  it('applies the EXIF orientation', async () => {
    // Stored landscape, left half red; orientation 6 shows it rotated a quarter turn clockwise, red on top.
    const file = await writeImage(path.join(dir, 'rotated.jpg'), 40, 20, (x) => (x < 20 ? RED : BLUE), 6);
    assert.equal((await sharp(file).metadata()).orientation, 6);
    const pixels = await decodeImage(file, 20);
    for (const x of [2, 17]) {
      assert.equal(dominant(pixelAt(pixels, 20, x, 2)), 'red', `top at x=${x}`);
      assert.equal(dominant(pixelAt(pixels, 20, x, 17)), 'blue', `bottom at x=${x}`);
    }
  });

  it('refuses a zero-byte file before calling sharp', async () => {
    const file = touch(path.join(dir, 'empty.jpg'));
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: empty file (0 bytes)`);
  });

  it('refuses a text file named .jpg', async () => {
    const file = touch(path.join(dir, 'text.jpg'), 'this is not a JPEG\n');
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: not a readable image (not an image file, or a format this build cannot decode)`);
  });

  it('refuses a truncated JPEG rather than padding it with grey', async () => {
    const noisy = rawImage(120, 90, (x, y) => [(x * 37 + y * 11) & 255, (x * y) & 255, (x * 5 + y * 3) & 255]);
    const jpeg = await sharp(noisy, { raw: { width: 120, height: 90, channels: 3 } }).jpeg().toBuffer();
    const file = touch(path.join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.7)));
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: not a readable image (truncated or corrupt)`);
  });

  it('refuses an image over 100 million pixels from its header alone', async () => {
    const file = touch(path.join(dir, 'bomb.png'), pngHeaderOnly(20000, 10000));
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: image too large (20000×10000 pixels, limit 100 million)`);
  });

  it('decodes a BMP or says plainly that this build cannot', async () => {
    const file = touch(path.join(dir, 'cell.bmp'), bmp(6, 4));
    const outcome = await decodeImage(file, 4).then(
      (pixels) => pixels.length,
      (error: unknown) => (error instanceof WbcError ? error.message : error),
    );
    if (typeof outcome === 'number') assert.equal(outcome, 4 * 4 * 3);
    else assert.equal(outcome, `${file}: BMP is not supported by this build; convert to PNG`);
  });

  it('reports a missing file', async () => {
    const file = path.join(dir, 'missing.png');
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: no such file`);
    assert.ok(!fs.existsSync(file));
  });
});
