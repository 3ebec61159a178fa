import { constants as bufferConstants } from 'node:buffer';
import { WbcError } from '../util/errors';
import { decodeImage, requireStoredSize } from './decode';
import type { PixelCache } from './pixel-cache';

export interface LoadedImages {
  /** loaded.length images back to back, each storedSize×storedSize×3 bytes (RGB, HWC). */
  pixels: Buffer;
  storedSize: number;
  /** loaded[i] is the index into the input paths of the i-th image in pixels. */
  loaded: number[];
  /** Files that could not be decoded; `reason` is the one-line message, which starts with the path. */
  skipped: { path: string; reason: string }[];
}

export interface LoadImagesOptions {
  cache?: PixelCache;
  /** Images decoded at the same time; default 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

const GIB = 1024 ** 3;

function allocateImages(count: number, imageBytes: number): Buffer {
  const bytes = count * imageBytes;
  const describe = () =>
    `${count} images at ${imageBytes} bytes each need ${(bytes / GIB).toFixed(1)} GiB in memory`;
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new WbcError(`${describe()}, more than one buffer can hold; use a smaller stored size or fewer images`);
  }
  try {
    // Not from the shared pool: this buffer is large and lives for the whole run.
    return Buffer.allocUnsafeSlow(bytes);
  } catch {
    throw new WbcError(`${describe()}, which could not be allocated; use a smaller stored size or fewer images`);
  }
}

/**
 * Decodes images into one buffer, a few at a time, so memory stays at that buffer plus the images in flight.
 * Files that cannot be decoded are skipped with their reason; the survivors are packed together in input order.
 */
export async function loadImages(
  paths: string[],
  storedSize: number,
  options: LoadImagesOptions = {},
): Promise<LoadedImages> {
  const { cache, concurrency = 4, onProgress } = options;
  requireStoredSize(storedSize);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new WbcError(`decode concurrency must be a positive whole number, got ${concurrency}`);
  }
  const imageBytes = storedSize * storedSize * 3;
  const pixels = allocateImages(paths.length, imageBytes);
  const failures = new Map<number, string>();
  let next = 0;
  let done = 0;

  async function decodeInto(index: number): Promise<void> {
    const slot = pixels.subarray(index * imageBytes, (index + 1) * imageBytes);
    const cached = cache?.get(paths[index], storedSize);
    if (cached) {
      cached.copy(slot);
      return;
    }
    try {
      const decoded = await decodeImage(paths[index], storedSize);
      decoded.copy(slot);
      cache?.put(paths[index], storedSize, decoded);
    } catch (error) {
      if (!(error instanceof WbcError)) throw error;
      failures.set(index, error.message);
    }
  }

  async function worker(): Promise<void> {
    while (next < paths.length) {
      const index = next;
      next += 1;
      await decodeInto(index);
      done += 1;
      onProgress?.(done, paths.length);
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));

  // Close the gaps left by skipped files, moving each image at most once, towards the start.
  const loaded: number[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (let index = 0; index < paths.length; index += 1) {
    const reason = failures.get(index);
    if (reason !== undefined) {
      skipped.push({ path: paths[index], reason });
      continue;
    }
    const target = loaded.length;
    if (target !== index) pixels.copyWithin(target * imageBytes, index * imageBytes, (index + 1) * imageBytes);
    loaded.push(index);
  }
  return { pixels: pixels.subarray(0, loaded.length * imageBytes), storedSize, loaded, skipped };
}
