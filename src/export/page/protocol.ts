/** Messages between the page (app.ts) and its worker (worker.ts), and the facts.json they read. */
import type { SchemeDefinition } from '../../scheme/scheme.js';

export interface ModelFacts {
  classes: string[];
  storedSize: number;
  testTimeViews: number;
  /** By number of views; 1 where absent (an uncalibrated model). */
  temperatures: Record<string, number>;
  /** The reporting scheme baked in by `wbc export --scheme` (nine by default), as checked against the classes. */
  scheme: SchemeDefinition;
  /** The review threshold on the scheme's category confidence, as `wbc classify --scheme S --tta testTimeViews` has it. */
  schemeReviewThreshold: number;
  /** The model's non-white kinds (model.json nonWhite; empty without): left out of the white differential. */
  nonWhite: string[];
  /**
   * The model's k-NN out-of-scope check, run on out-of-scope.bin as `wbc classify` runs it; null where the
   * model has no check the page can run (none, or the Mahalanobis one): those CSV columns then stay empty.
   */
  outOfScope: { featureSize: number; neighbours: number; threshold: number } | null;
}

export interface PageResult {
  file: string;
  /** null when the browser could not decode the file. */
  probabilities: number[] | null;
  /** The plain view's k-NN distance (facts.outOfScope); null without that check or when unreadable. */
  outOfScopeScore: number | null;
  error?: string;
}

export type ToWorker = { kind: 'classify'; files: File[] };

export type FromWorker =
  | { kind: 'ready'; facts: ModelFacts }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; results: PageResult[]; seconds: number }
  | { kind: 'failed'; message: string };
