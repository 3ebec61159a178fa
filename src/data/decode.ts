import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { WbcError } from '../util/errors';

/**
 * Bump whenever the stored pixels for the same file change (decodeImage here, or the native JPEG decoder that
 * loadImages uses first), so that cached pixels are not reused. 2: JPEGs decoded natively (same pixels as sharp
 * on the test images, but not guaranteed bit for bit on every JPEG).
 */
export const DECODER_VERSION = 2;

/** Refuses decompression bombs before libvips allocates memory for them. */
const PIXEL_LIMIT = 100_000_000;

/** A file that could not be turned into pixels: its path, then why in plain words. */
function unreadable(file: string, reason: string): WbcError {
  return new WbcError(`${file}: ${reason}`);
}

/** Throws a WbcError unless the stored image side is a positive whole number of pixels. */
export function requireStoredSize(storedSize: number): void {
  if (!Number.isInteger(storedSize) || storedSize < 1) {
    throw new WbcError(`stored image size must be a positive whole number, got ${storedSize}`);
  }
}

function readFailure(code: string | undefined): string {
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied)';
  if (code === 'ELOOP') return 'cannot read the file (a loop of symbolic links)';
  return `cannot read the file (${code ?? 'unknown error'})`;
}

async function requireReadableFile(file: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(file);
    if (stats.isFile()) await (await fs.promises.open(file, 'r')).close();
  } catch (error) {
    throw unreadable(file, readFailure((error as NodeJS.ErrnoException).code));
  }
  if (!stats.isFile()) throw unreadable(file, 'not a file');
  // libvips would call an empty file an "unsupported image format", which hides the real problem.
  if (stats.size === 0) throw unreadable(file, 'empty file (0 bytes)');
}

async function leadingBytes(file: string, count: number): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(count), 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Signatures of the formats this build reads: a file that starts with one is an image, however damaged. */
const IMAGE_SIGNATURES = [
  Buffer.from([0xff, 0xd8, 0xff]), // JPEG
  Buffer.from([0x89, 0x50, 0x4e, 0x47]), // PNG
  Buffer.from('II*\0', 'latin1'), // TIFF, little-endian
  Buffer.from('MM\0*', 'latin1'), // TIFF, big-endian
];

async function looksLikeBmp(file: string): Promise<boolean> {
  if (path.extname(file).toLowerCase() === '.bmp') return true;
  return (await leadingBytes(file, 2)).toString('latin1') === 'BM';
}

/** Turns a libvips failure into a short reason a user can act on. */
async function explainFailure(file: string, error: unknown): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('pixel limit')) {
    const { width, height } = await sharp(file, { limitInputPixels: false }).metadata().catch(() => ({ width: 0, height: 0 }));
    const size = width && height ? `${width}×${height} pixels, ` : '';
    return `image too large (${size}limit ${PIXEL_LIMIT / 1_000_000} million)`;
  }
  if (message.includes('unsupported image format')) {
    if (await looksLikeBmp(file).catch(() => false)) return 'BMP is not supported by this build; convert to PNG';
    // A TIFF cut short loses the directory that libvips recognises it by.
    const start = await leadingBytes(file, 4).catch(() => Buffer.alloc(0));
    if (IMAGE_SIGNATURES.some((signature) => start.subarray(0, signature.length).equals(signature))) return 'not a readable image (truncated or corrupt)';
    return 'not a readable image (not an image file, or a format this build cannot decode)';
  }
  if (message.includes('Input file is missing')) return 'no such file';
  return 'not a readable image (truncated or corrupt)';
}

/**
 * Decodes an image to storedSize×storedSize 8-bit sRGB pixels in HWC order: EXIF orientation applied,
 * transparency flattened onto white, and the centred square cropped and resized. Lanczos3 rather than mitchell
 * because it keeps fine granule and chromatin texture sharper when shrinking, and that texture tells cell types apart.
 */
export async function decodeImage(file: string, storedSize: number): Promise<Buffer> {
  requireStoredSize(storedSize);
  await requireReadableFile(file);
  // sharp's output is 8-bit sRGB by default, which also expands grayscale and converts CMYK and 16-bit input.
  // failOn 'error' rejects truncated files ('none' would pad them with grey) but, unlike the default
  // 'warning', keeps images whose only flaw is a harmless oddity such as stray bytes after the end.
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: PIXEL_LIMIT })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(storedSize, storedSize, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(async (error: unknown) => {
      throw unreadable(file, await explainFailure(file, error));
    });
  if (info.channels !== 3 || data.length !== storedSize * storedSize * 3) {
    throw unreadable(file, `decoded to an unexpected shape (${info.width}×${info.height}×${info.channels})`);
  }
  return data;
}
