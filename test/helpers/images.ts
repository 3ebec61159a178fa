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
  const tints: Record<string, number[]> = { red: [200, 60, 60], green: [60, 200, 60], blue: [60, 60, 200] };
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
