import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Progress } from './api-schemas';
import type { ClassifyJob, WorkerMessage } from './classify-worker';
import type { ReviewStore } from './store';

const DONE_KEY = 'classified_at';

/**
 * Classifies the folder in a worker thread and stores the predictions in one transaction; a store whose
 * folder was classified before (a resumed review) starts as done. `onSettled` runs once it ends either way.
 */
export function classifyInBackground(store: ReviewStore, job: ClassifyJob, onSettled: () => void = () => {}): { progress: Progress; stop(): Promise<void> } {
  const progress: Progress = { state: 'classifying', done: 0, total: 0, skipped: 0, warnings: [] };
  if (store.getMeta(DONE_KEY) !== undefined) {
    const count = store.cells().length;
    Object.assign(progress, { state: 'done', done: count, total: count });
    queueMicrotask(onSettled);
    return { progress, stop: async () => {} };
  }
  const worker = new Worker(path.join(__dirname, 'classify-worker.js'), { workerData: job });
  let settled = false;
  const settle = (update: Partial<Progress>): void => {
    if (settled) return;
    settled = true;
    Object.assign(progress, update);
    onSettled();
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'progress') {
      progress.done = message.done;
      progress.total = message.total;
    } else if (message.type === 'done') {
      try {
        store.addPredictions(message.predictions);
        store.setMeta(DONE_KEY, new Date().toISOString());
        settle({ state: 'done', done: progress.total, skipped: message.skipped.length, warnings: message.warnings });
      } catch (error) {
        settle({ state: 'failed', error: (error as Error).message });
      }
      void worker.terminate();
    } else {
      settle({ state: 'failed', error: message.message });
    }
  });
  worker.on('error', (error) => settle({ state: 'failed', error: error.message }));
  worker.on('exit', (code) => settle({ state: 'failed', error: `the classification worker stopped (exit code ${code})` }));
  return { progress, stop: async () => void (await worker.terminate()) };
}
