/** Messages between the page (app.ts) and its worker (worker.ts). */

export interface ModelFacts {
  classes: string[];
  storedSize: number;
  testTimeViews: number;
  reviewThreshold: number;
  /** By number of views; 1 where absent (an uncalibrated model). */
  temperatures: Record<string, number>;
}

export interface PageResult {
  file: string;
  /** null when the browser could not decode the file. */
  probabilities: number[] | null;
  error?: string;
}

export type ToWorker = { kind: 'classify'; files: File[] };

export type FromWorker =
  | { kind: 'ready'; facts: ModelFacts }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; results: PageResult[]; seconds: number }
  | { kind: 'failed'; message: string };
