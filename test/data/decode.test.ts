import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/data/decode';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, pixelAt, rawImage, touch, writeImage, writeSolid } from '../helpers/images';
import { withoutPermissionOverride } from '../helpers/unprivileged';

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

/** An RGB PNG whose header claims width×height pixels, followed by `imageData` (already deflated). */
function pngClaiming(width: number, height: number, imageData = zlib.deflateSync(Buffer.alloc(0))): Buffer {
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
    chunk('IDAT', imageData),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose frame header (SOF0) is rewritten to claim width×height pixels. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer());
  const frame = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(height, frame + 5);
  jpeg.writeUInt16BE(width, frame + 7);
  return jpeg;
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
    const file = touch(path.join(dir, 'bomb.png'), pngClaiming(20000, 10000));
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: image too large (20000×10000 pixels, limit 100 million)`);
  });

  it('refuses decompression bombs (30,000 × 30,000 claimed by a few kilobytes) without allocating for them', async () => {
    // Ten rows of real zero pixels, deflated to about a kilobyte; the rest of the 2.7 GB image is implied.
    const rows = zlib.deflateSync(Buffer.alloc(10 * (1 + 30000 * 3)), { level: 9 });
    const bombs = [touch(path.join(dir, 'bomb-30k.png'), pngClaiming(30000, 30000, rows)), touch(path.join(dir, 'bomb-30k.jpg'), await jpegClaiming(30000, 30000))];
    for (const file of bombs) {
      assert.ok(fs.statSync(file).size < 4096, `${file} is small`);
      const before = process.memoryUsage().rss;
      const error = await rejection(decodeImage(file, 8));
      assert.equal(error.message, `${file}: image too large (30000×30000 pixels, limit 100 million)`);
      assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'memory stayed bounded');
    }
  });

  it('refuses truncated PNG, TIFF and JPEG files as truncated or corrupt, whatever the cut', async () => {
    const noisy = sharp(rawImage(60, 40, (x, y) => [(x * 37 + y * 11) & 255, (x * y) & 255, (x * 5 + y * 3) & 255]), { raw: { width: 60, height: 40, channels: 3 } });
    const encodings: [string, Buffer][] = [
      ['png', await noisy.clone().png().toBuffer()],
      ['tif', await noisy.clone().tiff().toBuffer()],
      ['tif', await noisy.clone().tiff({ compression: 'lzw' }).toBuffer()],
      ['jpg', await noisy.clone().jpeg().toBuffer()],
    ];
    for (const [extension, encoded] of encodings) {
      for (const kept of [0.1, 0.5, 0.95]) {
        const file = touch(path.join(dir, `cut-${kept}.${extension}`), encoded.subarray(0, Math.floor(encoded.length * kept)));
        const error = await rejection(decodeImage(file, 8));
        assert.equal(error.message, `${file}: not a readable image (truncated or corrupt)`);
      }
    }
  });

  it('refuses a PNG damaged in the middle and decodes a JPEG or uncompressed TIFF damaged there', async () => {
    const noisy = sharp(rawImage(60, 40, (x, y) => [(x * 37 + y * 11) & 255, (x * y) & 255, 90]), { raw: { width: 60, height: 40, channels: 3 } });
    for (const [extension, encoded] of [['png', await noisy.clone().png().toBuffer()], ['tif', await noisy.clone().tiff().toBuffer()], ['jpg', await noisy.clone().jpeg().toBuffer()]] as const) {
      const damaged = Buffer.from(encoded);
      for (let i = damaged.length >> 1; i < (damaged.length >> 1) + 64; i += 1) damaged[i] ^= 0x5a;
      const file = touch(path.join(dir, `damaged.${extension}`), damaged);
      // PNG checks a CRC on every chunk; JPEG and uncompressed TIFF pixel data carry no checksum, so the damage
      // cannot be detected and such files decode to odd pixels.
      if (extension === 'png') assert.equal((await rejection(decodeImage(file, 8))).message, `${file}: not a readable image (truncated or corrupt)`);
      else assert.equal((await decodeImage(file, 8)).length, 8 * 8 * 3, extension);
    }
  });

  it('refuses binary junk and text under an image extension as not an image', async () => {
    const junk = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251));
    for (const name of ['junk.png', 'junk.tif', 'junk.jpeg', 'notes.tiff']) {
      const file = touch(path.join(dir, name), name.startsWith('notes') ? 'meeting notes, not a picture\n' : junk);
      const error = await rejection(decodeImage(file, 8));
      assert.equal(error.message, `${file}: not a readable image (not an image file, or a format this build cannot decode)`);
    }
  });

  it('converts palette and 16-bit grayscale images, and enlarges an 8 × 8 or 1 × 1 image', async () => {
    const palette = path.join(dir, 'palette.png');
    await sharp(rawImage(16, 16, (x) => (x < 8 ? RED : BLUE)), { raw: { width: 16, height: 16, channels: 3 } }).png({ palette: true, colours: 4 }).toFile(palette);
    assert.equal((await sharp(palette).metadata()).isPalette, true);
    const fromPalette = await decodeImage(palette, 16);
    assert.equal(dominant(pixelAt(fromPalette, 16, 2, 8)), 'red');
    assert.equal(dominant(pixelAt(fromPalette, 16, 13, 8)), 'blue');

    const deepGray = path.join(dir, 'deep-gray.png');
    await sharp(rawImage(20, 20, () => [120]), { raw: { width: 20, height: 20, channels: 1 } }).toColourspace('grey16').png().toFile(deepGray);
    const deepGrayInfo = await sharp(deepGray).metadata();
    assert.deepEqual([deepGrayInfo.channels, deepGrayInfo.depth], [1, 'ushort']);
    const gray = await decodeImage(deepGray, 8);
    assert.ok(gray.every((value) => Math.abs(value - 120) <= 1), 'three equal channels of the same gray');

    for (const side of [8, 1]) {
      const small = await writeSolid(path.join(dir, `small-${side}.png`), side, side, [10, 200, 30]);
      const pixels = await decodeImage(small, 32);
      assert.equal(pixels.length, 32 * 32 * 3);
      assert.deepEqual(pixelAt(pixels, 32, 16, 16), [10, 200, 30]);
    }
  });

  it('reads file names with spaces, Unicode and a leading dash', async () => {
    for (const name of ['with space.png', 'Zelle-ß-細胞-🩸.png', '-leading-dash.png', '--looks-like-an-option.png']) {
      const file = await writeSolid(path.join(dir, name), 10, 10, [200, 100, 50]);
      assert.deepEqual(pixelAt(await decodeImage(file, 4), 4, 1, 1), [200, 100, 50], name);
    }
  });

  it('reports a symbolic-link loop and a folder named like an image', async () => {
    const loop = path.join(dir, 'loop.png');
    fs.symlinkSync('loop.png', loop);
    assert.equal((await rejection(decodeImage(loop, 8))).message, `${loop}: cannot read the file (a loop of symbolic links)`);
    const folder = path.join(dir, 'folder.png');
    fs.mkdirSync(folder);
    assert.equal((await rejection(decodeImage(folder, 8))).message, `${folder}: not a file`);
  });

  it('reports a file it has no permission to read', async () => {
    const file = await writeSolid(path.join(dir, 'secret.png'), 10, 10, [1, 2, 3]);
    fs.chmodSync(file, 0o000);
    const probe = `require(${JSON.stringify(require.resolve('../../src/data/decode'))}).decodeImage(${JSON.stringify(file)}, 8).then(() => console.log('decoded'), (e) => console.log(e.message))`;
    const child = spawnSync(...withoutPermissionOverride(process.execPath, ['-e', probe]), { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), `${file}: cannot read the file (permission denied)`);
  });

  it('decodes a BMP where libvips has a loader for it, and says plainly that this build cannot where it has none', async () => {
    const file = touch(path.join(dir, 'cell.bmp'), bmp(6, 4));
    // libvips reads BMP through ImageMagick; sharp's prebuilt libvips comes without it.
    if (sharp.format.magick.input.file) assert.equal((await decodeImage(file, 4)).length, 4 * 4 * 3);
    else assert.equal((await rejection(decodeImage(file, 4))).message, `${file}: BMP is not supported by this build; convert to PNG`);
  });

  it('reports a missing file', async () => {
    const file = path.join(dir, 'missing.png');
    const error = await rejection(decodeImage(file, 8));
    assert.equal(error.message, `${file}: no such file`);
    assert.ok(!fs.existsSync(file));
  });
});
