import { constants as bufferConstants } from 'node:buffer';
import { native } from '../native/binding';
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
  /** Images decoded at the same time: native decoder threads, or sharp decodes in flight; default 4. */
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

/** Files per call to the native JPEG decoder: enough to keep its threads busy, few enough to report progress often. */
const NATIVE_BATCH_FILES = 128;
/** ...and at most this much scratch memory for a batch's pixels at large stored sizes. */
const NATIVE_BATCH_BYTES = 16 * 1024 ** 2;
/** The addon's limit on decoder threads. */
const NATIVE_MAX_THREADS = 64;

/**
 * Decodes the JPEGs among `indices` with the addon's libjpeg-turbo decoder, in batches, off the JavaScript
 * thread, handing each decoded image to `store`. Returns the indices it left to sharp: other formats, and
 * JPEGs it does not decode the way sharp does (see src/native/addon/jpeg-decode.h), damaged ones included.
 */
async function decodeJpegsNatively(
  paths: string[],
  indices: number[],
  storedSize: number,
  threads: number,
  store: (index: number, pixels: Buffer) => void,
): Promise<number[]> {
  if (indices.length === 0) return [];
  const imageBytes = storedSize * storedSize * 3;
  const batchFiles = Math.max(1, Math.min(NATIVE_BATCH_FILES, Math.floor(NATIVE_BATCH_BYTES / imageBytes)));
  const scratch = Buffer.allocUnsafeSlow(Math.min(batchFiles, indices.length) * imageBytes);
  const declined: number[] = [];
  for (let start = 0; start < indices.length; start += batchFiles) {
    const batch = indices.slice(start, start + batchFiles);
    const reasons = await native().decodeJpegs(batch.map((index) => paths[index]), storedSize, scratch, threads);
    batch.forEach((index, k) => {
      if (reasons[k] === '') store(index, scratch.subarray(k * imageBytes, (k + 1) * imageBytes));
      else declined.push(index);
    });
  }
  return declined;
}

/**
 * Decodes images into one buffer, so memory stays at that buffer plus a batch in flight: cached pixels first,
 * then JPEGs natively on `concurrency` threads, then whatever is left with sharp, `concurrency` at a
 * time, which also words every refusal. Both decoders give the same pixels (test/data/native-jpeg.test.ts).
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
  let done = 0;

  function finished(): void {
    done += 1;
    onProgress?.(done, paths.length);
  }

  function store(index: number, decoded: Buffer): void {
    decoded.copy(pixels, index * imageBytes);
    cache?.put(paths[index], storedSize, decoded);
    finished();
  }

  const toDecode: number[] = [];
  for (let index = 0; index < paths.length; index += 1) {
    const cached = cache?.get(paths[index], storedSize);
    if (cached) {
      cached.copy(pixels, index * imageBytes);
      finished();
    } else {
      toDecode.push(index);
    }
  }

  const forSharp = await decodeJpegsNatively(paths, toDecode, storedSize, Math.min(concurrency, NATIVE_MAX_THREADS), store);
  let next = 0;
  async function sharpWorker(): Promise<void> {
    while (next < forSharp.length) {
      const index = forSharp[next];
      next += 1;
      try {
        store(index, await decodeImage(paths[index], storedSize));
      } catch (error) {
        if (!(error instanceof WbcError)) throw error;
        failures.set(index, error.message);
        finished();
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, forSharp.length) }, sharpWorker));

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
