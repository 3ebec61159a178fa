import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WbcError } from '../util/errors';
import { stopWorker, WORKER_STOP_GRACE_MS } from '../util/worker-stop';
import type { Progress, RefusedFile } from './api-schemas';
import type { ClassifyJob, StopRequest, WorkerMessage } from './classify-worker';
import { scanFolder } from './folder-scan';
import type { ReviewStore } from './store';

export type FolderJob = Omit<ClassifyJob, 'files'>;

/**
 * Keeps the review in step with its folder: each rescan hashes every image, brings the store in step
 * (ReviewStore.syncFolder), and classifies what is new or changed in a worker thread, storing the
 * predictions in one transaction. `progress` and `refused` are updated in place: the routes read them.
 */
export class FolderKeeper {
  readonly progress: Progress = { state: 'done', done: 0, total: 0, skipped: 0, warnings: [] };
  readonly refused: RefusedFile[] = [];
  private busy = false;
  private stopped = false;
  /** Workers not yet ended: one classifying, or one that has answered and is closing its classifier. */
  private readonly workers = new Set<Worker>();

  constructor(private readonly store: ReviewStore, private readonly job: FolderJob) {}

  /** Answers once the folder is scanned and the store in step; the classification goes on in the background. */
  async rescan(): Promise<void> {
    if (this.stopped) throw new WbcError('the server is stopping');
    if (this.busy) throw new WbcError('the folder is being scanned or classified; rescan when that is done');
    this.busy = true;
    try {
      const scan = await scanFolder(this.job.imageDir);
      if (this.stopped) throw new WbcError('the server is stopping');
      this.refused.splice(0, this.refused.length, ...scan.refused);
      const toClassify = this.store.syncFolder(scan.sha256);
      if (toClassify.length === 0) {
        this.settle({ state: 'done', skipped: 0, warnings: scan.warnings });
        return;
      }
      this.set({ state: 'classifying', done: 0, total: toClassify.length, skipped: 0, warnings: [] });
      this.classify(toClassify, scan.sha256, scan.warnings);
    } catch (error) {
      this.settle({ state: 'failed', error: (error as Error).message });
      throw error;
    }
  }

  private classify(files: string[], sha256: ReadonlyMap<string, string>, scanWarnings: string[]): void {
    const job: ClassifyJob = { ...this.job, files: files.map((file) => path.join(this.job.imageDir, file)) };
    const worker = new Worker(path.join(__dirname, 'classify-worker.js'), { workerData: job });
    this.workers.add(worker);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        this.progress.done = message.done;
        this.progress.total = message.total;
      } else if (message.type === 'done') {
        try {
          this.store.addPredictions(message.predictions, sha256);
          for (const skipped of message.skipped) {
            this.refused.push({ file: path.relative(this.job.imageDir, skipped.path), reason: `cannot be read as an image (${skipped.reason})` });
          }
          this.settle({ state: 'done', skipped: message.skipped.length, warnings: [...scanWarnings, ...message.warnings] });
        } catch (error) {
          this.settle({ state: 'failed', error: (error as Error).message });
        }
      } else if (message.type === 'stopped') {
        this.settle({ state: 'failed', error: 'the classification was stopped' });
      } else {
        this.settle({ state: 'failed', error: message.message });
      }
    });
    worker.on('error', (error) => this.settle({ state: 'failed', error: error.message }));
    // The worker ends by itself once it has answered and closed its classifier.
    worker.on('exit', (code) => {
      this.workers.delete(worker);
      this.settle({ state: 'failed', error: `the classification worker stopped (exit code ${code})` });
    });
  }

  private set(update: Partial<Progress>): void {
    delete this.progress.error;
    Object.assign(this.progress, update);
  }

  /** Ends a scan or a classification, once: what a finished worker's exit reports afterwards is ignored. */
  private settle(update: Partial<Progress>): void {
    if (!this.busy) return;
    this.busy = false;
    if (update.state === 'done') {
      const count = this.store.presentCells().length;
      update = { ...update, done: count, total: count };
    }
    this.set(update);
  }

  /**
   * Refuses further rescans and asks each worker to stop after its chunk and end by itself; one that has
   * not ended within the grace period is terminated, which the returned warnings say.
   */
  async stop(): Promise<string[]> {
    this.stopped = true;
    const endings = await Promise.all([...this.workers].map((worker) => stopWorker(worker, { type: 'stop' } satisfies StopRequest)));
    return endings.includes('terminated')
      ? [`the classification worker did not stop within ${WORKER_STOP_GRACE_MS / 1000} s and was terminated`]
      : [];
  }
}
