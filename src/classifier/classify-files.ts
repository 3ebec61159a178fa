import * as path from 'node:path';
import { loadImages } from '../data/load-images';
import type { PixelCache } from '../data/pixel-cache';
import { toPredictions, type Prediction } from '../classify/predictions';
import { DEFAULT_CHUNK_SIZE, type Scoring } from './scoring';

export interface ClassifyFilesOptions {
  /** Each prediction's `file` is relative to this folder; absent: the path as given. */
  root?: string;
  cache?: PixelCache;
  chunkSize?: number;
  /** Classes whose every prediction is marked for review. */
  alwaysReview?: readonly string[];
  onProgress?: (done: number, total: number) => void;
  /** Checked before each chunk: once aborted, classification stops there and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface FilesClassified {
  predictions: Prediction[];
  skipped: { path: string; reason: string }[];
}

/**
 * Classifies image files chunk by chunk. The next chunk is decoded while this one is scored (the engine's
 * threads leave the cores idle between calls); at most those two chunks are held at a time.
 */
export async function classifyFiles(scoring: Scoring, files: readonly string[], options: ClassifyFilesOptions = {}): Promise<FilesClassified> {
  const { info, trust, scheme } = scoring;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const predictions: Prediction[] = [];
  const skipped: FilesClassified['skipped'] = [];
  const decode = async (start: number) => {
    const chunk = files.slice(start, start + chunkSize);
    const loaded = await loadImages(chunk, info.input.storedSize, {
      cache: options.cache,
      onProgress: (done) => options.onProgress?.(start + done, files.length),
    });
    return { start, chunk, loaded };
  };
  options.signal?.throwIfAborted();
  let next = files.length > 0 ? decode(0) : undefined;
  try {
    while (next) {
      const { start, chunk, loaded } = await next;
      next = undefined;
      options.signal?.throwIfAborted();
      if (start + chunkSize < files.length) next = decode(start + chunkSize);
      skipped.push(...loaded.skipped);
      if (loaded.loaded.length === 0) continue;
      const scores = await scoring.score(loaded.pixels, Int32Array.from(loaded.loaded.keys()));
      const names = loaded.loaded.map((i) => (options.root === undefined ? chunk[i] : path.relative(options.root, chunk[i])));
      predictions.push(...toPredictions(names, scores.probabilities, info.classes, trust.reviewThreshold, {
        outOfScopeScores: scores.outOfScopeScores, outOfScopeThreshold: trust.outOfScope?.threshold, alwaysReview: options.alwaysReview, scheme,
      }));
    }
  } finally {
    // Nothing is left decoding once this settles, so that a caller can then close the runtime safely.
    await next?.catch(() => undefined);
  }
  return { predictions, skipped };
}
