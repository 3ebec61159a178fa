import type { Scheme } from '../scheme/scheme';
import type { Progress, RefusedFile } from './api-schemas';
import type { ReviewStore } from './store';

/** What the routes of a review (one case) share: its store, its model's classes, its folder and its settings. */
export interface AppContext {
  store: ReviewStore;
  classes: string[];
  /** The classes that are not white cells (models trained with --non-white). */
  nonWhite: string[];
  /** The reporting scheme the served folder is classified, flagged and counted in (one for every case). */
  scheme: Scheme;
  /** Real path of the case's folder: images are served from inside it only. */
  realImageDir: string;
  progress: Progress;
  /** The folder's files refused at the last scan (updated in place). */
  refused: RefusedFile[];
  /** Scans the folder again and classifies what is new or changed (see FolderKeeper); throws a WbcError while busy. */
  rescan(): Promise<void>;
  /** True while the case's classification waits for its turn in the queue (absent: never). */
  queued?: () => boolean;
  /** Where "export labelled folder" writes. */
  exportDir: string;
  token?: string;
  loopbackOnly: boolean;
  /** The case folder's name: the specimen, shown in the page's title bar and on the report. */
  title: string;
  /** The model folder's name, shown on the report. */
  modelName: string;
  /** The model's version as an export names it: `sha256:` and the hash of its model.json (which carries its weights' hash). */
  modelVersion: string;
}

/** The reviews a server serves: one folder as one case, or a folder of cases (whose list can grow). */
export interface Reviews {
  /** The review served at /api/… and /: the one folder served as one case; undefined when serving a folder of cases. */
  single?: AppContext;
  /** Every case, in id order. */
  all(): AppContext[];
  /** A case by its id. */
  get(caseId: number): AppContext | undefined;
  token?: string;
  loopbackOnly: boolean;
}

/** One folder served as one case. */
export function oneReview(context: AppContext): Reviews {
  return {
    single: context,
    all: () => [context],
    get: (caseId) => (caseId === context.store.caseId ? context : undefined),
    token: context.token,
    loopbackOnly: context.loopbackOnly,
  };
}
