import { csvRow } from '../util/csv';

/** One scored image: the rows behind the metrics (`wbc evaluate --predictions`, `wbc report`). */
export interface EvaluatedImage {
  /** Absolute path. */
  path: string;
  /** Path relative to the labelled folder. */
  file: string;
  truth: string;
  prediction: string;
  confidence: number;
  correct: boolean;
}

/** The per-image rows behind the scores: file, true class, prediction, confidence, correct. */
export function evaluatedImagesCsv(images: readonly EvaluatedImage[]): string {
  return csvRow(['file', 'true_class', 'prediction', 'confidence', 'correct'])
    + images.map((image) => csvRow([image.file, image.truth, image.prediction, image.confidence.toFixed(4), String(image.correct)])).join('');
}
