import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import sharp from 'sharp';

/** A fresh temporary folder, removed when the test file finishes. */
export function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbc-test-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Creates the file (and its folders) with the given content. */
export function touch(file: string, content: string | Uint8Array = ''): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export type Rgb = [number, number, number];

/** Raw pixels of a width×height image whose colour at (x, y) is `colourAt(x, y)`. */
export function rawImage(width: number, height: number, colourAt: (x: number, y: number) => number[]): Buffer {
  const channels = colourAt(0, 0).length;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) pixels.set(colourAt(x, y), (y * width + x) * channels);
  }
  return pixels;
}

/** Writes an image file; the format follows the extension (.png, .jpg, .tif). */
export async function writeImage(
  file: string,
  width: number,
  height: number,
  colourAt: (x: number, y: number) => number[],
  orientation?: number,
): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const channels = colourAt(0, 0).length as 1 | 2 | 3 | 4;
  let image = sharp(rawImage(width, height, colourAt), { raw: { width, height, channels } });
  // Without this, sharp writes one-channel input as RGB.
  if (channels <= 2) image = image.toColourspace('b-w');
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  const extension = path.extname(file).toLowerCase();
  if (extension === '.jpg') image = image.jpeg({ quality: 95 });
  else if (extension === '.tif') image = image.tiff();
  else if (extension === '.webp') image = image.webp({ lossless: true });
  else image = image.png();
  await image.toFile(file);
  return file;
}

export function writeSolid(file: string, width: number, height: number, colour: Rgb): Promise<string> {
  return writeImage(file, width, height, () => colour);
}

/** The RGB colour at (x, y) of decoded HWC pixels. */
export function pixelAt(pixels: Uint8Array, size: number, x: number, y: number, imageIndex = 0): Rgb {
  const offset = imageIndex * size * size * 3 + (y * size + x) * 3;
  return [pixels[offset], pixels[offset + 1], pixels[offset + 2]];
}

/** Three classes (red, green, blue) of noisy, differently tinted 24×24 PNGs, `perClass` each, the same every time. */
export async function makeLabelledFolder(root: string, perClass = 10): Promise<void> {
  await makeTintedFolder(root, { red: [200, 60, 60], green: [60, 200, 60], blue: [60, 60, 200] }, perClass);
}

/** Two kinds of cell that are not white cells (`--non-white`), tinted apart from makeLabelledFolder's classes. */
export async function makeNonWhiteFolder(root: string, perKind = 10): Promise<void> {
  await makeTintedFolder(root, { erythroblasts: [200, 200, 60], platelets: [140, 140, 140] }, perKind);
}

/** One class folder per tint of noisy 24×24 PNGs, `perClass` each, the same every time. */
async function makeTintedFolder(root: string, tints: Record<string, number[]>, perClass: number): Promise<void> {
  let seed = 1;
  const noise = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed % 61) - 30;
  };
  for (const [name, tint] of Object.entries(tints)) {
    for (let i = 0; i < perClass; i += 1) {
      await writeImage(path.join(root, name, `${i}.png`), 24, 24, () => tint.map((v) => Math.max(0, Math.min(255, v + noise()))));
    }
  }
}

/** How far two decodings of the same images differ, in 8-bit levels per channel value. */
export function pixelDifferences(a: Uint8Array, b: Uint8Array): { mean: number; p99: number; max: number } {
  if (a.length !== b.length) throw new Error(`different lengths: ${a.length} and ${b.length}`);
  const counts = new Array<number>(256).fill(0);
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    const difference = Math.abs(a[i] - b[i]);
    counts[difference] += 1;
    sum += difference;
  }
  const levelAt = (fraction: number) => {
    let seen = 0;
    for (let level = 0; level < 256; level += 1) {
      seen += counts[level];
      if (seen >= fraction * a.length) return level;
    }
    return 255;
  };
  return { mean: sum / Math.max(1, a.length), p99: levelAt(0.99), max: levelAt(1) };
}

/**
 * How close the native JPEG decoder must come to sharp (decodeImage): it copies sharp's shrink-on-load and
 * libvips' Lanczos-3 reduce step for step, and has matched bit for bit on every image tried, but the two
 * libjpeg builds (mozjpeg inside sharp, Debian's libjpeg-turbo here) are not promised to agree forever.
 */
export const NATIVE_JPEG_TOLERANCE = { mean: 0.05, p99: 1, max: 2 };

/** Whether a native decoding is within NATIVE_JPEG_TOLERANCE of sharp's. */
export function withinNativeTolerance(difference: { mean: number; p99: number; max: number }): boolean {
  return difference.mean <= NATIVE_JPEG_TOLERANCE.mean && difference.p99 <= NATIVE_JPEG_TOLERANCE.p99 && difference.max <= NATIVE_JPEG_TOLERANCE.max;
}

/**
 * The JPEG with an EXIF block (APP1) holding only the Orientation tag inserted after its start marker: sharp's
 * withMetadata({ orientation }) also embeds an ICC profile, which sends a JPEG to the sharp path.
 */
export function withExifOrientation(jpeg: Buffer, orientation: number, littleEndian: boolean): Buffer {
  const tiff = Buffer.alloc(26);
  const write16 = (value: number, at: number) => (littleEndian ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at));
  const write32 = (value: number, at: number) => (littleEndian ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at));
  tiff.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  write16(42, 2);
  write32(8, 4); // IFD0 right after the header
  write16(1, 8); // one entry
  write16(0x0112, 10); // Orientation
  write16(3, 12); // SHORT
  write32(1, 14); // one value
  write16(orientation, 18);
  write32(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, payload, jpeg.subarray(2)]);
}
