/**
 * Runs `classify()` in a worker thread, so that LibTorch and image decoding never hold the server's
 * event loop. Posts `progress` messages, then one `done` (the predictions) or `failed` (one line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { classify } from '../classify/classify';
import type { PrecisionChoice } from '../native/runtime';
import { messageOf } from '../util/errors';

export interface ClassifyJob {
  modelDir: string;
  imageDir: string;
  threads?: number;
  precision?: PrecisionChoice;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; predictions: Awaited<ReturnType<typeof classify>>['predictions']; skipped: { path: string; reason: string }[]; warnings: string[] }
  | { type: 'failed'; message: string };

const job = workerData as ClassifyJob;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

classify(job.modelDir, job.imageDir, {
  threads: job.threads,
  precision: job.precision,
  onProgress: (done, total) => post({ type: 'progress', done, total }),
}).then(
  (result) => post({ type: 'done', predictions: result.predictions, skipped: result.skipped, warnings: result.warnings }),
  (error) => post({ type: 'failed', message: messageOf(error) }),
);
