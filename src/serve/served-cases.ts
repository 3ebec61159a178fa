import * as path from 'node:path';
import type { Scheme } from '../scheme/scheme';
import { WbcError } from '../util/errors';
import { FolderKeeper } from './background';
import { findCaseFolders, holdsImagesDirectly } from './case-folders';
import type { ClassifyQueue } from './classify-queue';
import type { AppContext, Reviews } from './context';
import type { CaseRow, ReviewDatabase } from './review-database';
import { ReviewStore } from './store';

/** How often a folder of cases is looked at for new case folders: a case added appears within twice this. */
export const CASE_POLL_MS = 2000;

export interface ServedFolder {
  /** Real path of the folder served. */
  realRoot: string;
  /** Where "export labelled folder" writes: for a folder of cases, one sub-folder per case. */
  exportDir: string;
  classes: string[];
  /** The classes that are not white cells (models trained with --non-white). */
  nonWhite: string[];
  /** The reporting scheme every case is classified, flagged and counted in. */
  scheme: Scheme;
  modelName: string;
  /** `sha256:` and the hash of the model's model.json. */
  modelVersion: string;
  token?: string;
  loopbackOnly: boolean;
}

/**
 * Whether the folder is served as one case: a review already begun keeps its layout; a new one is one
 * case when the folder holds images directly (as before cases existed), else a folder of cases.
 */
function servedAsOneCase(database: ReviewDatabase, realRoot: string, db: string): boolean {
  const cases = database.cases();
  if (cases.length === 0) return holdsImagesDirectly(realRoot);
  const single = cases.some((row) => row.folder === '');
  if (single && cases.length > 1) throw new WbcError(`the review ${db} mixes a whole folder with cases; use --db for a new review`);
  return single;
}

/**
 * The cases of the folder served, each with its store, its folder keeper and its routes' context: one
 * folder holding images is one case; otherwise each first-level sub-folder holding images is a case, and
 * new ones are picked up while the server runs (watch). Classifications run one case after another in
 * the shared queue.
 */
export class ServedCases implements Reviews {
  private readonly contexts = new Map<number, AppContext>();
  readonly oneCase: boolean;
  readonly token?: string;
  readonly loopbackOnly: boolean;
  private watcher: NodeJS.Timeout | undefined;
  /** The look for new cases under way, so that two never overlap. */
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly database: ReviewDatabase, private readonly queue: ClassifyQueue, private readonly folder: ServedFolder, db: string) {
    this.oneCase = servedAsOneCase(database, folder.realRoot, db);
    this.token = folder.token;
    this.loopbackOnly = folder.loopbackOnly;
  }

  get single(): AppContext | undefined {
    return this.oneCase ? this.contexts.values().next().value : undefined;
  }

  all(): AppContext[] {
    return [...this.contexts.values()];
  }

  get(caseId: number): AppContext | undefined {
    return this.contexts.get(caseId);
  }

  /** Opens every case (new case folders added), each rescanned in turn: its new and changed images are queued to be classified. */
  async open(): Promise<void> {
    if (this.oneCase) this.database.caseFor('', path.basename(this.folder.realRoot));
    for (const row of this.database.cases()) await this.openCase(row);
    if (!this.oneCase) await this.addNewCases();
  }

  private async openCase(row: CaseRow): Promise<void> {
    const store = new ReviewStore(this.database, row.id);
    const realImageDir = path.join(this.folder.realRoot, row.folder);
    const keeper = new FolderKeeper(store, realImageDir, this.queue);
    this.contexts.set(row.id, {
      store,
      classes: this.folder.classes,
      nonWhite: this.folder.nonWhite,
      scheme: this.folder.scheme,
      realImageDir,
      progress: keeper.progress,
      refused: keeper.refused,
      rescan: () => keeper.rescan(),
      queued: () => keeper.queued,
      exportDir: row.folder === '' ? this.folder.exportDir : path.join(this.folder.exportDir, row.folder),
      token: this.folder.token,
      loopbackOnly: this.folder.loopbackOnly,
      title: row.name,
      modelName: this.folder.modelName,
      modelVersion: this.folder.modelVersion,
    });
    // Every start rescans: new images are classified, gone and changed ones recorded.
    await keeper.rescan();
  }

  private async addNewCases(): Promise<void> {
    const known = new Set(this.database.cases().map((row) => row.folder));
    for (const folder of findCaseFolders(this.folder.realRoot, known)) {
      if (known.has(folder)) continue;
      await this.openCase(this.database.caseFor(folder, folder));
    }
  }

  /** Looks for new case folders every CASE_POLL_MS (a folder of cases only); a failed look is tried again at the next. */
  watch(onError: (message: string) => void): void {
    if (this.oneCase) return;
    this.watcher = setInterval(() => {
      this.looking = this.looking.then(() => this.addNewCases()).catch((error: Error) => onError(error.message));
    }, CASE_POLL_MS);
    this.watcher.unref();
  }

  /** Stops looking for new cases, and waits for a look under way. */
  async stop(): Promise<void> {
    clearInterval(this.watcher);
    await this.looking;
  }
}
