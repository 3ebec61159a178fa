import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadImages } from '../../src/data/load-images';
import { Rng } from '../../src/util/rng';
import { within } from './deadline';
import { withExifOrientation } from './images';

/** A valid image file that mutations start from. */
export interface FuzzSeed {
  name: string;
  extension: string;
  bytes: Buffer;
}

/** What a mutated file did to the loading path: anything but a crash, which fails the case. */
export type FuzzOutcome = 'decoded' | 'refused';

/** The seed set: the formats and variants the loader meets, small so that each case is quick. */
export async function makeFuzzSeeds(): Promise<FuzzSeed[]> {
  const width = 24;
  const height = 18;
  const noise = Buffer.alloc(width * height * 4);
  for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 131 + (i >> 5) * 17) & 255;
  const rgb = () => sharp(noise, { raw: { width, height, channels: 4 } }).removeAlpha();
  const variants: [string, string, sharp.Sharp][] = [
    ['baseline', 'jpg', rgb().jpeg({ quality: 80 })],
    ['progressive', 'jpg', rgb().jpeg({ quality: 80, progressive: true })],
    ['exif-rotated', 'jpg', rgb().jpeg().withMetadata({ orientation: 6 })],
    ['exif-only-rotated', 'jpg', rgb().jpeg({ quality: 90, chromaSubsampling: '4:4:4' })],
    ['cmyk', 'jpg', rgb().toColourspace('cmyk').jpeg()],
    ['rgb', 'png', rgb().png()],
    ['rgba', 'png', sharp(noise, { raw: { width, height, channels: 4 } }).png()],
    ['palette', 'png', rgb().png({ palette: true, colours: 16 })],
    ['gray16', 'png', rgb().toColourspace('grey16').png()],
    ['interlaced', 'png', rgb().png({ progressive: true })],
    ['lzw', 'tif', rgb().tiff({ compression: 'lzw' })],
    ['plain', 'tif', rgb().tiff({ compression: 'none' })],
  ];
  const seeds = await Promise.all(variants.map(async ([name, extension, image]) => ({ name, extension, bytes: await image.toBuffer() })));
  // An EXIF orientation without the ICC profile that withMetadata adds, so that the native JPEG decoder takes it.
  const exifOnly = seeds.find((seed) => seed.name === 'exif-only-rotated')!;
  exifOnly.bytes = withExifOrientation(exifOnly.bytes, 5, true);
  return seeds;
}

/** Values that stress parsers: zero, sign edges, all ones. */
const EXTREME_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** One to four random mutations of `bytes`: bit flips, extreme bytes, huge 32-bit fields, cuts, insertions, repeats. */
export function mutate(bytes: Buffer, rng: Rng): Buffer {
  let out = Buffer.from(bytes);
  const position = () => rng.int(Math.max(1, out.length));
  // Headers hold the fields that matter most (sizes, lengths, offsets): aim there half the time.
  const headerPosition = () => (rng.next() < 0.5 ? rng.int(Math.min(out.length, 256)) : position());
  for (let count = 1 + rng.int(4); count > 0; count -= 1) {
    switch (rng.int(7)) {
      case 0: { const at = headerPosition(); out[at] ^= 1 << rng.int(8); break; }
      case 1: { const at = headerPosition(); out[at] = EXTREME_BYTES[rng.int(EXTREME_BYTES.length)]; break; }
      case 2: {
        const at = Math.min(headerPosition(), Math.max(0, out.length - 4));
        if (out.length >= 4) out.writeUInt32BE([0xffffffff, 0x7fffffff, 0x80000000, 0, 30000][rng.int(5)], at);
        break;
      }
      case 3: out = out.subarray(0, position()); break;
      case 4: { const at = position(); out = Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256))), out.subarray(at)]); break; }
      case 5: { const at = position(); out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + rng.int(64))]); break; }
      default: { const at = position(); const span = out.subarray(at, at + 1 + rng.int(256)); const to = position(); out = Buffer.concat([out.subarray(0, to), span, out.subarray(to)]); }
    }
  }
  return out;
}

/**
 * Runs one mutated file through loadImages. Resolves with what happened; rejects on a crash: an
 * exception that is not a WbcError, or no answer within `timeoutMs` (a hang). A native crash ends the process.
 */
export async function runFuzzCase(file: string, bytes: Buffer, timeoutMs: number): Promise<FuzzOutcome> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  const result = await within(loadImages([file], 16), timeoutMs, 'no answer');
  return result.loaded.length === 1 ? 'decoded' : 'refused';
}
