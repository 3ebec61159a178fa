import { csvRow } from '../util/csv';
import type { EvaluatedImage } from './evaluate';

/** The per-image rows behind the scores: file, true class, prediction, confidence, correct. */
export function evaluatedImagesCsv(images: readonly EvaluatedImage[]): string {
  return csvRow(['file', 'true_class', 'prediction', 'confidence', 'correct'])
    + images.map((image) => csvRow([image.file, image.truth, image.prediction, image.confidence.toFixed(4), String(image.correct)])).join('');
}
