/**
 * Classifies the served folder's new and changed images in a worker thread, so that LibTorch and image decoding never hold the
 * server's event loop. Posts `progress` messages, then one `done` (the predictions) or `failed` (one line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier } from '../classifier/open-classifier';
import type { Prediction } from '../classify/predictions';
import type { PrecisionChoice } from '../native/runtime';
import { messageOf } from '../util/errors';

export interface ClassifyJob {
  modelDir: string;
  /** Predictions name their files relative to this folder. */
  imageDir: string;
  /** The image files to classify (absolute paths inside imageDir). */
  files: string[];
  threads?: number;
  precision?: PrecisionChoice;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; predictions: Prediction[]; skipped: { path: string; reason: string }[]; warnings: string[] }
  | { type: 'failed'; message: string };

const job = workerData as ClassifyJob;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

async function classifyFolder(): Promise<WorkerMessage> {
  const classifier = await openClassifier(job.modelDir, { threads: job.threads, precision: job.precision });
  try {
    const result = await classifier.classify(job.files, {
      root: job.imageDir,
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
    return { type: 'done', predictions: result.predictions, skipped: result.skipped, warnings: [...classifier.warnings, ...result.warnings] };
  } finally {
    await classifier.close();
  }
}

classifyFolder().then(post, (error) => post({ type: 'failed', message: messageOf(error) }));
