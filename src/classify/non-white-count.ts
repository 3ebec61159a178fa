import { clopperPearsonInterval } from '../trust/binomial-interval.js';
import { WbcError } from '../util/errors.js';
import type { Prediction } from './predictions.js';

/**
 * Kinds reported per 100 white cells, as laboratories report nucleated red cells (and correct the white count
 * for them); any other non-white kind (platelets) is reported as a count only.
 */
export const PER_100_WHITE_KINDS: readonly string[] = ['erythroblasts'];

export interface Per100White {
  value: number;
  /** The exact 95% interval. */
  low: number;
  high: number;
}

export interface NonWhiteRow {
  kind: string;
  count: number;
  /** Null for kinds not reported per 100 white cells, and when there are no white cells. */
  per100White: Per100White | null;
}

/** Cells answered as a kind that is not a white cell: counted apart, never in the white-cell differential. */
export interface NonWhiteCount {
  rows: NonWhiteRow[];
  /** Of these cells, how many need review (a white cell among them would otherwise be lost from the differential). */
  needsReview: number;
  outOfScope: number;
}

/**
 * `count` cells per 100 white cells with an exact 95% interval: the Clopper–Pearson interval of the share
 * p = count / (count + white), turned into the ratio 100·p / (1 − p), the conditional method for a ratio of
 * two counts. No white cells: null, as no ratio can be given.
 */
export function per100White(count: number, whiteCells: number): Per100White | null {
  if (whiteCells === 0) return null;
  const { low, high } = clopperPearsonInterval(count, count + whiteCells);
  const ratio = (p: number) => (100 * p) / (1 - p);
  return { value: (100 * count) / whiteCells, low: ratio(low), high: ratio(high) };
}

/** The predictions of white cells and those of non-white kinds, each in their order. */
export function separateNonWhite(predictions: readonly Prediction[], classes: readonly string[], kinds: readonly string[]): { white: Prediction[]; nonWhite: Prediction[] } {
  if (new Set(kinds).size !== kinds.length) throw new WbcError(`non-white kinds must be distinct, got ${kinds.join(', ')}`);
  const unknown = kinds.filter((kind) => !classes.includes(kind));
  if (unknown.length) throw new WbcError(`non-white kinds ${unknown.join(', ')} are not among the classes: ${classes.join(', ')}`);
  const white: Prediction[] = [];
  const nonWhite: Prediction[] = [];
  for (const prediction of predictions) (kinds.includes(prediction.prediction) ? nonWhite : white).push(prediction);
  return { white, nonWhite };
}

export function countNonWhite(nonWhite: readonly Prediction[], kinds: readonly string[], whiteCells: number): NonWhiteCount {
  return {
    rows: kinds.map((kind) => {
      const count = nonWhite.filter((p) => p.prediction === kind).length;
      return { kind, count, per100White: PER_100_WHITE_KINDS.includes(kind) ? per100White(count, whiteCells) : null };
    }),
    needsReview: nonWhite.filter((p) => p.needsReview).length,
    outOfScope: nonWhite.filter((p) => p.outOfScope).length,
  };
}

const oneDecimal = (value: number) => value.toFixed(1);

/** The terminal lines under the differential. */
export function formatNonWhite(count: NonWhiteCount): string {
  const width = Math.max(...count.rows.map((row) => row.kind.length));
  const per100 = (row: NonWhiteRow) => (row.per100White
    ? `  ${oneDecimal(row.per100White.value)} per 100 white cells (95% interval ${oneDecimal(row.per100White.low)}–${oneDecimal(row.per100White.high)})`
    : '');
  return [
    'not white cells, not in the differential:',
    ...count.rows.map((row) => `  ${row.kind.padEnd(width)}  ${String(row.count).padStart(5)}${per100(row)}`),
    `  needs review: ${count.needsReview}; out of scope: ${count.outOfScope}`,
  ].join('\n');
}

/**
 * Rows for the differential CSV, after its out_of_scope row: one per kind, whose percent and interval are
 * per 100 white cells (empty for kinds counted only), then `non_white_needs_review`.
 */
export function nonWhiteCsvFields(count: NonWhiteCount): string[][] {
  return [
    ...count.rows.map((row) => [row.kind, String(row.count), ...(row.per100White
      ? [oneDecimal(row.per100White.value), row.per100White.low.toFixed(2), row.per100White.high.toFixed(2)]
      : ['', '', ''])]),
    ['non_white_needs_review', String(count.needsReview), '', '', ''],
  ];
}
