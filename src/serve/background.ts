import * as path from 'node:path';
import { WbcError } from '../util/errors';
import type { Progress, RefusedFile } from './api-schemas';
import type { ClassifyQueue } from './classify-queue';
import { scanFolder } from './folder-scan';
import type { ReviewStore } from './store';

/**
 * Keeps a case's review in step with its folder: each rescan hashes every image, brings the store in step
 * (ReviewStore.syncFolder), and has what is new or changed classified in the shared queue (one case after
 * another), storing the predictions in one transaction. `progress` and `refused` are updated in place:
 * the routes read them; `queued` is true while the classification waits for its turn.
 */
export class FolderKeeper {
  readonly progress: Progress = { state: 'done', done: 0, total: 0, skipped: 0, warnings: [] };
  readonly refused: RefusedFile[] = [];
  /** Also true for a case just found, until its first scan settles: it is not yet to review (an empty, 'done' case). */
  queued = true;
  private busy = false;

  constructor(private readonly store: ReviewStore, private readonly imageDir: string, private readonly queue: ClassifyQueue) {}

  /** Answers once the folder is scanned and the store in step; the classification goes on in the background. */
  async rescan(): Promise<void> {
    if (this.busy) throw new WbcError('the folder is being scanned or classified; rescan when that is done');
    this.busy = true;
    try {
      const scan = await scanFolder(this.imageDir);
      this.refused.splice(0, this.refused.length, ...scan.refused);
      const toClassify = this.store.syncFolder(scan.sha256);
      if (toClassify.length === 0) {
        this.settle({ state: 'done', skipped: 0, warnings: scan.warnings });
        return;
      }
      this.set({ state: 'classifying', done: 0, total: toClassify.length, skipped: 0, warnings: [] });
      this.queued = true;
      this.classify(toClassify, scan.sha256, scan.warnings);
    } catch (error) {
      this.settle({ state: 'failed', error: (error as Error).message });
      throw error;
    }
  }

  private classify(files: string[], sha256: ReadonlyMap<string, string>, scanWarnings: string[]): void {
    const onStart = () => { this.queued = false; };
    const onProgress = (done: number, total: number) => {
      this.progress.done = done;
      this.progress.total = total;
    };
    this.queue.classify(this.imageDir, files.map((file) => path.join(this.imageDir, file)), onStart, onProgress).then((result) => {
      this.store.addPredictions(result.predictions, sha256);
      for (const skipped of result.skipped) {
        this.refused.push({ file: path.relative(this.imageDir, skipped.path), reason: `cannot be read as an image (${skipped.reason})` });
      }
      this.settle({ state: 'done', skipped: result.skipped.length, warnings: [...scanWarnings, ...result.warnings] });
    }).catch((error: Error) => this.settle({ state: 'failed', error: error.message }));
  }

  private set(update: Partial<Progress>): void {
    delete this.progress.error;
    Object.assign(this.progress, update);
  }

  /** Ends a scan or a classification. */
  private settle(update: Partial<Progress>): void {
    this.busy = false;
    this.queued = false;
    if (update.state === 'done') {
      const count = this.store.presentCells().length;
      update = { ...update, done: count, total: count };
    }
    this.set(update);
  }
}
