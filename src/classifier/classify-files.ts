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

/** Classifies image files chunk by chunk: each chunk is decoded, scored and let go before the next. */
export async function classifyFiles(scoring: Scoring, files: readonly string[], options: ClassifyFilesOptions = {}): Promise<FilesClassified> {
  const { info, trust, scheme } = scoring;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const predictions: Prediction[] = [];
  const skipped: FilesClassified['skipped'] = [];
  for (let start = 0; start < files.length; start += chunkSize) {
    // Between chunks no decoding or scoring is in flight, so a caller can then close the runtime safely.
    options.signal?.throwIfAborted();
    const chunk = files.slice(start, start + chunkSize);
    const loaded = await loadImages(chunk, info.input.storedSize, {
      cache: options.cache,
      onProgress: (done) => options.onProgress?.(start + done, files.length),
    });
    skipped.push(...loaded.skipped);
    if (loaded.loaded.length === 0) continue;
    const scores = await scoring.score(loaded.pixels, Int32Array.from(loaded.loaded.keys()));
    const names = loaded.loaded.map((i) => (options.root === undefined ? chunk[i] : path.relative(options.root, chunk[i])));
    predictions.push(...toPredictions(names, scores.probabilities, info.classes, trust.reviewThreshold, {
      outOfScopeScores: scores.outOfScopeScores, outOfScopeThreshold: trust.outOfScope?.threshold, alwaysReview: options.alwaysReview, scheme,
    }));
  }
  return { predictions, skipped };
}
