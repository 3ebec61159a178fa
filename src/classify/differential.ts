import { clopperPearsonInterval } from '../trust/binomial-interval.js';
import { csvRow } from '../util/csv.js';
import { WbcError } from '../util/errors.js';
import { countNonWhite, formatNonWhite, nonWhiteCsvFields, separateNonWhite, type NonWhiteCount } from './non-white-count.js';
import { formatItRatio, itRatio, type ItRatio } from './it-ratio.js';
import type { Prediction } from './predictions.js';

export interface DifferentialRow {
  className: string;
  count: number;
  /** Percentage of all classified cells, unrounded. */
  percent: number;
}

export interface Differential {
  total: number;
  needsReview: number;
  /** Cells unlike any the model was trained on (also counted in needsReview). */
  outOfScope: number;
  rows: DifferentialRow[];
  /** Cells answered as non-white kinds (models trained with --non-white), counted apart from `total`. */
  nonWhite?: NonWhiteCount;
  /** The I/T ratio from the class counts; null where the model lacks a class it needs. */
  itRatio: ItRatio | null;
}

/** `part` as a percentage of `whole`; 0 for an empty whole so that no NaN reaches a report. */
function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

function oneDecimal(value: number): string {
  return value.toFixed(1);
}

/**
 * The white-cell differential: how many cells of each class, in class order, including absent classes.
 * Cells answered as one of `nonWhiteKinds` are left out of it and counted apart.
 */
export function differentialCount(allPredictions: readonly Prediction[], allClasses: readonly string[], nonWhiteKinds: readonly string[] = []): Differential {
  const { white: predictions, nonWhite } = separateNonWhite(allPredictions, allClasses, nonWhiteKinds);
  const classes = allClasses.filter((name) => !nonWhiteKinds.includes(name));
  const counts = new Map<string, number>(classes.map((name) => [name, 0]));
  let needsReview = 0;
  let outOfScope = 0;
  for (const p of predictions) {
    const count = counts.get(p.prediction);
    if (count === undefined) {
      throw new WbcError(
        `prediction "${p.prediction}" for "${p.file}" is not one of the classes: ${classes.join(', ')}`,
      );
    }
    counts.set(p.prediction, count + 1);
    if (p.needsReview) needsReview += 1;
    if (p.outOfScope) outOfScope += 1;
  }
  const total = predictions.length;
  return {
    total,
    needsReview,
    outOfScope,
    rows: classes.map((className) => {
      const count = counts.get(className)!;
      return { className, count, percent: percentOf(count, total) };
    }),
    ...(nonWhiteKinds.length > 0 && { nonWhite: countNonWhite(nonWhite, nonWhiteKinds, total) }),
    itRatio: itRatio(counts),
  };
}

/** An aligned terminal table: class, count, percent; then the total and the number needing review. */
export function formatDifferential(differential: Differential): string {
  const table: [string, string, string][] = [
    ['class', 'count', '%'],
    ...differential.rows.map((row): [string, string, string] => [
      row.className,
      String(row.count),
      oneDecimal(row.percent),
    ]),
    ['total', String(differential.total), oneDecimal(differential.total === 0 ? 0 : 100)],
  ];
  const length = (text: string): number => Array.from(text).length;
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => length(row[column]))));
  const line = ([name, count, percent]: [string, string, string]): string =>
    `${name}${' '.repeat(widths[0] - length(name))}  ${count.padStart(widths[1])}  ${percent.padStart(widths[2])}`;
  const review = differential.needsReview;
  return [
    ...table.slice(0, -1).map(line),
    '-'.repeat(widths[0] + widths[1] + widths[2] + 4),
    line(table[table.length - 1]),
    ...(differential.itRatio ? [formatItRatio(differential.itRatio)] : []),
    `needs review: ${review} (${oneDecimal(percentOf(review, differential.total))}%)`,
    `out of scope: ${differential.outOfScope} (${oneDecimal(percentOf(differential.outOfScope, differential.total))}%), unlike the cells the model was trained on; included in needs review`,
    ...(differential.nonWhite ? [formatNonWhite(differential.nonWhite)] : []),
    '',
  ].join('\n');
}

/** The exact 95% interval of a class's percentage, as two percentages with two decimals. */
function intervalFields(count: number, total: number): [string, string] {
  const { low, high } = clopperPearsonInterval(count, total);
  return [(low * 100).toFixed(2), (high * 100).toFixed(2)];
}

/**
 * `class,count,percent,ci_low,ci_high` rows in class order (the exact 95% Clopper–Pearson interval of each
 * percentage), then `total`, `needs_review` and `out_of_scope` rows, whose interval fields are empty; then,
 * where the model has the classes, `neutrophil_lineage` (its cells) and `i_t_ratio` (the immature ones, the
 * ratio as a percentage and its interval).
 */
export function differentialCsv(differential: Differential): string {
  const { total, needsReview, outOfScope, itRatio: ratio } = differential;
  return [
    csvRow(['class', 'count', 'percent', 'ci_low', 'ci_high']),
    ...differential.rows.map((row) => csvRow([row.className, String(row.count), oneDecimal(row.percent), ...intervalFields(row.count, total)])),
    csvRow(['total', String(total), oneDecimal(total === 0 ? 0 : 100), '', '']),
    csvRow(['needs_review', String(needsReview), oneDecimal(percentOf(needsReview, total)), '', '']),
    csvRow(['out_of_scope', String(outOfScope), oneDecimal(percentOf(outOfScope, total)), '', '']),
    ...(ratio ? [
      csvRow(['neutrophil_lineage', String(ratio.lineage), oneDecimal(percentOf(ratio.lineage, total)), '', '']),
      csvRow(['i_t_ratio', String(ratio.immature), oneDecimal(ratio.ratio * 100), ...[ratio.low, ratio.high].map((x) => (x * 100).toFixed(2))]),
    ] : []),
    ...(differential.nonWhite ? nonWhiteCsvFields(differential.nonWhite).map(csvRow) : []),
  ].join('');
}
