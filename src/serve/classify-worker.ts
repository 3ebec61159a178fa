/**
 * Classifies the served cases' new and changed images in one worker thread, so that LibTorch and image
 * decoding never hold the server's event loop. The classifier is opened at the first job and kept for
 * the next ones (one case after another). For each job it posts `progress` messages, then one `done`
 * (the predictions) or `failed` (one line). Asked to stop, it stops after the chunk under way, closes
 * its classifier and ends by itself: terminating it under native work would abort the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier, type Classifier } from '../classifier/open-classifier';
import type { Prediction } from '../classify/predictions';
import type { PrecisionChoice } from '../native/runtime';
import type { SchemeDefinition } from '../scheme/scheme';
import { messageOf, WbcError } from '../util/errors';

/** The classifier the worker opens once (its workerData). */
export interface ClassifierSettings {
  modelDir: string;
  threads?: number;
  precision?: PrecisionChoice;
  /** The reporting scheme: its categories and review threshold decide each cell's group and flag. */
  scheme: SchemeDefinition;
}

export interface ClassifyJob {
  id: number;
  /** Predictions name their files relative to this folder. */
  imageDir: string;
  /** The image files to classify (absolute paths inside imageDir). */
  files: string[];
}

/** A job to run, or a request to stop after the chunk under way, close the classifier and end. */
export type WorkerRequest = { type: 'classify'; job: ClassifyJob } | { type: 'stop' };

export type WorkerMessage =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'done'; id: number; predictions: Prediction[]; skipped: { path: string; reason: string }[]; warnings: string[] }
  | { type: 'failed'; id: number; message: string };

/** Images per chunk: a stop request waits at most for one chunk's decoding and scoring. */
const CHUNK_SIZE = 128;

const settings = workerData as ClassifierSettings;
const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);
const stopping = new AbortController();
let classifier: Promise<Classifier> | undefined;
/** Jobs run one after another, in the order sent. */
let queue: Promise<void> = Promise.resolve();

async function classify(job: ClassifyJob): Promise<WorkerMessage> {
  if (stopping.signal.aborted) return { type: 'failed', id: job.id, message: 'the classification was stopped' };
  // A classifier that failed to open is opened anew for the next job.
  classifier ??= openClassifier(settings.modelDir, { threads: settings.threads, precision: settings.precision, scheme: settings.scheme })
    .catch((error: unknown) => {
      classifier = undefined;
      throw error;
    });
  const opened = await classifier;
  const result = await opened.classify(job.files, {
    root: job.imageDir,
    chunkSize: CHUNK_SIZE,
    signal: stopping.signal,
    onProgress: (done, total) => post({ type: 'progress', id: job.id, done, total }),
  });
  return { type: 'done', id: job.id, predictions: result.predictions, skipped: result.skipped, warnings: [...opened.warnings, ...result.warnings] };
}

async function stop(): Promise<void> {
  stopping.abort(new WbcError('stopped on request'));
  await queue;
  try {
    await (await classifier)?.close();
  } catch {
    // It never opened: nothing to close.
  }
  port.close();
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'stop') {
    void stop();
    return;
  }
  const { job } = request;
  queue = queue.then(() => classify(job)).then(post, (error: unknown) => post({
    type: 'failed',
    id: job.id,
    message: stopping.signal.aborted ? 'the classification was stopped' : messageOf(error),
  }));
});
