/**
 * Classifies the served folder's new and changed images in a worker thread, so that LibTorch and image decoding never hold the
 * server's event loop. Posts `progress` messages, then one `done` (the predictions), `stopped` or `failed` (one line), and
 * then ends by itself once its classifier is closed: terminating it under native work would abort the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier } from '../classifier/open-classifier';
import type { Prediction } from '../classify/predictions';
import type { PrecisionChoice } from '../native/runtime';
import type { SchemeDefinition } from '../scheme/scheme';
import { messageOf, WbcError } from '../util/errors';

export interface ClassifyJob {
  modelDir: string;
  /** Predictions name their files relative to this folder. */
  imageDir: string;
  /** The image files to classify (absolute paths inside imageDir). */
  files: string[];
  threads?: number;
  precision?: PrecisionChoice;
  /** The reporting scheme: its categories and review threshold decide each cell's group and flag. */
  scheme: SchemeDefinition;
}

/** Asks the worker to stop after the chunk under way, close its classifier and end. */
export interface StopRequest {
  type: 'stop';
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; predictions: Prediction[]; skipped: { path: string; reason: string }[]; warnings: string[] }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

/** Images per chunk: a stop request waits at most for one chunk's decoding and scoring. */
const CHUNK_SIZE = 128;

const job = workerData as ClassifyJob;
const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);
const stopping = new AbortController();
port.on('message', (request: StopRequest) => {
  if (request.type === 'stop') stopping.abort(new WbcError('stopped on request'));
});
// Listening for a stop must not keep the thread alive once its work is done.
port.unref();

async function classifyFolder(): Promise<WorkerMessage> {
  if (stopping.signal.aborted) return { type: 'stopped' };
  const classifier = await openClassifier(job.modelDir, { threads: job.threads, precision: job.precision, scheme: job.scheme });
  try {
    const result = await classifier.classify(job.files, {
      root: job.imageDir,
      chunkSize: CHUNK_SIZE,
      signal: stopping.signal,
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
    return { type: 'done', predictions: result.predictions, skipped: result.skipped, warnings: [...classifier.warnings, ...result.warnings] };
  } finally {
    await classifier.close();
  }
}

classifyFolder().then(post, (error) => post(stopping.signal.aborted ? { type: 'stopped' } : { type: 'failed', message: messageOf(error) }));
