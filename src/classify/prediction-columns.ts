/**
 * The predictions CSV's columns and one row of them: the single list that `wbc classify`, the review
 * server's export and the exported browser page all write. It imports only the CSV writer, so that the
 * page compiles it too (tsconfig.web.json).
 */
import { csvRow } from '../util/csv.js';

/** One cell's answer as the CSV needs it; the out-of-scope fields are null where the model has no such check. */
export interface PredictionColumns {
  file: string;
  prediction: string;
  confidence: number;
  second: string;
  secondConfidence: number;
  needsReview: boolean;
  /** How unlike the training cells the image is (higher = more unlike); null when the model has no out-of-scope check. */
  outOfScopeScore: number | null;
  outOfScope: boolean | null;
  probabilities: readonly number[];
}

/** Confidences and probabilities with four decimals, as every predictions CSV prints them. */
function decimal(value: number): string {
  return value.toFixed(4);
}

/** The header: the answer's columns, one probability column per class, then any columns a caller appends. */
export function predictionsHeader(classes: readonly string[], extra: readonly string[] = []): string {
  return csvRow([
    'file', 'prediction', 'confidence', 'second', 'second_confidence', 'needs_review', 'out_of_scope_score', 'out_of_scope',
    ...classes, ...extra,
  ]);
}

/** One row in the header's order; `extra` fills the caller's appended columns. */
export function predictionRow(p: PredictionColumns, extra: readonly string[] = []): string {
  return csvRow([
    p.file,
    p.prediction,
    decimal(p.confidence),
    p.second,
    decimal(p.secondConfidence),
    String(p.needsReview),
    p.outOfScopeScore === null ? '' : decimal(p.outOfScopeScore),
    p.outOfScopeScore === null || p.outOfScope === null ? '' : String(p.outOfScope),
    ...p.probabilities.map(decimal),
    ...extra,
  ]);
}

/**
 * The reporting scheme's columns (src/scheme): the cell's category and its confidence. Callers append them
 * after the class probabilities, so that every column before them stays where it was.
 */
export const SCHEME_COLUMNS = ['group', 'group_confidence'] as const;

export function schemeFields(p: { group: string; groupConfidence: number }): string[] {
  return [p.group, decimal(p.groupConfidence)];
}
