import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WbcError } from '../util/errors';
import { stopWorker, WORKER_STOP_GRACE_MS } from '../util/worker-stop';
import type { ClassifierSettings, ClassifyJob, WorkerMessage, WorkerRequest } from './classify-worker';

export type Classified = Extract<WorkerMessage, { type: 'done' }>;

interface Pending {
  job: ClassifyJob;
  onStart(): void;
  onProgress(done: number, total: number): void;
  resolve(result: Classified): void;
  reject(error: Error): void;
}

/**
 * The cases' classifications, one after another, in one worker thread that opens the model once (see
 * classify-worker.ts): a job waits in the queue until the one before it is answered. The worker is started
 * at the first job; one that ends unexpectedly fails its jobs and is started anew for the next.
 */
export class ClassifyQueue {
  private worker: Worker | undefined;
  private readonly waiting: Pending[] = [];
  private running: Pending | undefined;
  private nextId = 1;
  private stopped = false;

  constructor(private readonly settings: ClassifierSettings) {}

  /** Classifies files of a folder after the jobs queued before; `onStart` says when its turn comes. */
  classify(imageDir: string, files: string[], onStart: () => void, onProgress: (done: number, total: number) => void): Promise<Classified> {
    if (this.stopped) return Promise.reject(new WbcError('the server is stopping'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ job: { id: this.nextId++, imageDir, files }, onStart, onProgress, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running || this.stopped) return;
    const pending = this.waiting.shift();
    if (!pending) return;
    this.running = pending;
    pending.onStart();
    this.startedWorker().postMessage({ type: 'classify', job: pending.job } satisfies WorkerRequest);
  }

  private startedWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'classify-worker.js'), { workerData: this.settings });
    // The server keeps the process alive; an idle worker must not.
    worker.unref();
    worker.on('message', (message: WorkerMessage) => {
      const running = this.running;
      if (!running || running.job.id !== message.id) return;
      if (message.type === 'progress') return running.onProgress(message.done, message.total);
      this.running = undefined;
      if (message.type === 'done') running.resolve(message);
      else running.reject(new WbcError(message.message));
      this.next();
    });
    worker.on('error', (error) => this.lost(worker, error.message));
    worker.on('exit', (code) => this.lost(worker, `the classification worker stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** A worker that ended: its job fails (and, once stopping, every job still waiting). */
  private lost(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const failed = [...(this.running ? [this.running] : []), ...(this.stopped ? this.waiting.splice(0) : [])];
    this.running = undefined;
    for (const pending of failed) pending.reject(new WbcError(this.stopped ? 'the classification was stopped' : reason));
    this.next();
  }

  /**
   * Refuses further jobs and asks the worker to stop after its chunk and end by itself; one that has not
   * ended within the grace period is terminated, which the returned warnings say.
   */
  async stop(): Promise<string[]> {
    this.stopped = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new WbcError('the classification was stopped'));
    if (!this.worker) return [];
    const ending = await stopWorker(this.worker, { type: 'stop' } satisfies WorkerRequest);
    return ending === 'terminated' ? [`the classification worker did not stop within ${WORKER_STOP_GRACE_MS / 1000} s and was terminated`] : [];
  }
}
