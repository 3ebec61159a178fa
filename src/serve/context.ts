import type { Progress } from './api-schemas';
import type { ReviewStore } from './store';

/** What the routes of a review share: its store, its model's classes, its folder and its settings. */
export interface AppContext {
  store: ReviewStore;
  classes: string[];
  /** Real path of the opened folder: images are served from inside it only. */
  realImageDir: string;
  progress: Progress;
  /** Where "export labelled folder" writes. */
  exportDir: string;
  token?: string;
  loopbackOnly: boolean;
  /** Shown in the page's title bar. */
  title: string;
}
