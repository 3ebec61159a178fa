/**
 * Classifies the served folder in a worker thread, so that LibTorch and image decoding never hold the
 * server's event loop. Posts `progress` messages, then one `done` (the predictions) or `failed` (one line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier } from '../classifier/open-classifier';
import type { Prediction } from '../classify/predictions';
import { scanImages } from '../data/image-folder';
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
  | { type: 'done'; predictions: Prediction[]; skipped: { path: string; reason: string }[]; warnings: string[] }
  | { type: 'failed'; message: string };

const job = workerData as ClassifyJob;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

async function classifyFolder(): Promise<WorkerMessage> {
  const classifier = await openClassifier(job.modelDir, { threads: job.threads, precision: job.precision });
  try {
    const folder = scanImages(job.imageDir);
    const result = await classifier.classify(folder.files, {
      root: job.imageDir,
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
    return { type: 'done', predictions: result.predictions, skipped: result.skipped, warnings: [...folder.warnings, ...classifier.warnings, ...result.warnings] };
  } finally {
    await classifier.close();
  }
}

classifyFolder().then(post, (error) => post({ type: 'failed', message: messageOf(error) }));
