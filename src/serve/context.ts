import type { Scheme } from '../scheme/scheme';
import type { Progress, RefusedFile } from './api-schemas';
import type { ReviewStore } from './store';

/** What the routes of a review share: its store, its model's classes, its folder and its settings. */
export interface AppContext {
  store: ReviewStore;
  classes: string[];
  /** The classes that are not white cells (models trained with --non-white). */
  nonWhite: string[];
  /** The reporting scheme the folder is classified, flagged and counted in. */
  scheme: Scheme;
  /** Real path of the opened folder: images are served from inside it only. */
  realImageDir: string;
  progress: Progress;
  /** The folder's files refused at the last scan (updated in place). */
  refused: RefusedFile[];
  /** Scans the folder again and classifies what is new or changed (see FolderKeeper); throws a WbcError while busy. */
  rescan(): Promise<void>;
  /** Where "export labelled folder" writes. */
  exportDir: string;
  token?: string;
  loopbackOnly: boolean;
  /** The opened folder's name: the specimen, shown in the page's title bar and on the report. */
  title: string;
  /** The model folder's name, shown on the report. */
  modelName: string;
}
