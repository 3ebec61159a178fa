import type { Scheme } from '../scheme/scheme.js';
import { clopperPearsonInterval } from '../trust/binomial-interval.js';
import { csvRow } from '../util/csv.js';
import { WbcError } from '../util/errors.js';
import { formatItRatio, itRatio, type ItRatio } from './it-ratio.js';
import { countNonWhite, formatNonWhite, nonWhiteCsvFields, type NonWhiteCount } from './non-white-count.js';
import type { Prediction } from './predictions.js';

export interface CountWithInterval {
  count: number;
  /** Percentage of all classified cells, unrounded. */
  percent: number;
  /** The exact 95% Clopper–Pearson interval of the share, as fractions. */
  low: number;
  high: number;
}

export interface CategoryCount extends CountWithInterval {
  category: string;
  loinc?: string;
  /** The class detail beneath it: each of its classes, counted among its cells by the most probable class within it. */
  classes: (CountWithInterval & { className: string })[];
}

/** The differential count in a reporting scheme's categories, with the class detail and the I/T ratio. */
export interface SchemeDifferential {
  scheme: string;
  total: number;
  needsReview: number;
  outOfScope: number;
  /** The white-cell categories: those of non-white kinds are counted apart, in `nonWhite`. */
  categories: CategoryCount[];
  /** Null where the model lacks a class it needs. */
  itRatio: ItRatio | null;
  /** Cells whose category is a non-white kind (models trained with --non-white), each under its most probable kind there; left out of `total`. */
  nonWhite?: NonWhiteCount;
}

function counted(count: number, total: number): CountWithInterval {
  const { low, high } = clopperPearsonInterval(count, total);
  return { count, percent: total === 0 ? 0 : (count / total) * 100, low, high };
}

/** The class of `categoryIndex` that `probabilities` gives the highest probability; ties go to the earlier class. */
export function topClassWithin(probabilities: readonly number[], scheme: Scheme, categoryIndex: number): number {
  let best = -1;
  probabilities.forEach((probability, c) => {
    if (scheme.categoryOfClass[c] === categoryIndex && (best < 0 || probability > probabilities[best])) best = c;
  });
  return best;
}

/**
 * Counts cells by their scheme category (Prediction.group), each with its 95% interval; beneath each, its
 * classes. A cell's class within its category is the most probable one there, so the detail adds up to
 * the category even where the top class overall lies in another category.
 */
export function schemeDifferential(predictions: readonly Prediction[], classes: readonly string[], scheme: Scheme): SchemeDifferential {
  const categoryIndex = new Map(scheme.categories.map((category, index) => [category.name, index]));
  const classCounts = new Array<number>(classes.length).fill(0);
  const categoryCounts = new Array<number>(scheme.categories.length).fill(0);
  const nonWhite: Prediction[] = [];
  let needsReview = 0;
  let outOfScope = 0;
  for (const p of predictions) {
    const k = categoryIndex.get(p.group);
    if (k === undefined) throw new WbcError(`prediction for "${p.file}" has category "${p.group}", not one of scheme ${scheme.name}'s`);
    if (p.probabilities.length !== classes.length) throw new WbcError(`prediction for "${p.file}" has ${p.probabilities.length} probabilities for ${classes.length} classes`);
    const c = topClassWithin(p.probabilities, scheme, k);
    if (scheme.nonWhite[k]) {
      nonWhite.push({ ...p, prediction: classes[c] });
      continue;
    }
    categoryCounts[k] += 1;
    classCounts[c] += 1;
    if (p.needsReview) needsReview += 1;
    if (p.outOfScope) outOfScope += 1;
  }
  const total = predictions.length - nonWhite.length;
  const kinds = classes.filter((_, c) => scheme.nonWhite[scheme.categoryOfClass[c]]);
  const white = (k: number) => !scheme.nonWhite[k];
  return {
    scheme: scheme.name,
    total,
    needsReview,
    outOfScope,
    categories: scheme.categories.flatMap((category, k) => (white(k) ? [{
      category: category.name,
      ...(category.loinc !== undefined && { loinc: category.loinc }),
      ...counted(categoryCounts[k], total),
      classes: category.classes.map((className) => ({ className, ...counted(classCounts[classes.indexOf(className)], total) })),
    }] : [])),
    itRatio: itRatio(new Map(classes.map((name, c) => [name, classCounts[c]]))),
    ...(kinds.length > 0 && { nonWhite: countNonWhite(nonWhite, kinds, total) }),
  };
}

function oneDecimal(value: number): string {
  return value.toFixed(1);
}

function percentInterval(row: { low: number; high: number }): [string, string] {
  return [(row.low * 100).toFixed(2), (row.high * 100).toFixed(2)];
}

/** An aligned terminal table: each category with its count, percent and 95% interval, its classes indented beneath. */
export function formatSchemeDifferential(differential: SchemeDifferential): string {
  const table: string[][] = [['category', 'count', '%', '95% interval']];
  for (const category of differential.categories) {
    const [low, high] = percentInterval(category);
    table.push([category.category, String(category.count), oneDecimal(category.percent), `${low}–${high}`]);
    if (category.classes.length > 1 || category.classes[0].className !== category.category) {
      for (const detail of category.classes) {
        const [dLow, dHigh] = percentInterval(detail);
        table.push([`  ${detail.className}`, String(detail.count), oneDecimal(detail.percent), `${dLow}–${dHigh}`]);
      }
    }
  }
  const length = (text: string): number => Array.from(text).length;
  const widths = [0, 1, 2, 3].map((column) => Math.max(...table.map((row) => length(row[column]))));
  const line = (row: string[]): string => [row[0] + ' '.repeat(widths[0] - length(row[0])), ...row.slice(1).map((cell, i) => cell.padStart(widths[i + 1]))].join('  ');
  const { total, needsReview, outOfScope } = differential;
  const share = (part: number): string => oneDecimal(total === 0 ? 0 : (part / total) * 100);
  return [
    `scheme: ${differential.scheme}`,
    ...table.map(line),
    '-'.repeat(widths.reduce((sum, width) => sum + width, 0) + 6),
    `total ${total}`,
    ...(differential.itRatio ? [formatItRatio(differential.itRatio)] : []),
    `needs review: ${needsReview} (${share(needsReview)}%)`,
    `out of scope: ${outOfScope} (${share(outOfScope)}%), unlike the cells the model was trained on; included in needs review`,
    ...(differential.nonWhite ? [formatNonWhite(differential.nonWhite)] : []),
    '',
  ].join('\n');
}

/**
 * `category,class,count,percent,ci_low,ci_high,loinc`: a row per category (class empty), its classes
 * beneath it (percentages of all cells); then `neutrophil_lineage` and `i_t_ratio` (immature cells, the
 * ratio as a percentage, its interval) where the model has their classes; then `total`, `needs_review`
 * and `out_of_scope`; then, for a model with non-white kinds, the differential CSV's rows for them
 * (nonWhiteCsvFields, the class column empty).
 */
export function schemeDifferentialCsv(differential: SchemeDifferential): string {
  const { total, needsReview, outOfScope, itRatio: ratio } = differential;
  const share = (part: number): string => oneDecimal(total === 0 ? 0 : (part / total) * 100);
  return [
    csvRow(['category', 'class', 'count', 'percent', 'ci_low', 'ci_high', 'loinc']),
    ...differential.categories.flatMap((category) => [
      csvRow([category.category, '', String(category.count), oneDecimal(category.percent), ...percentInterval(category), category.loinc ?? '']),
      ...category.classes.map((detail) => csvRow([category.category, detail.className, String(detail.count), oneDecimal(detail.percent), ...percentInterval(detail), ''])),
    ]),
    ...(ratio ? [
      csvRow(['neutrophil_lineage', '', String(ratio.lineage), share(ratio.lineage), '', '', '']),
      csvRow(['i_t_ratio', '', String(ratio.immature), oneDecimal(ratio.ratio * 100), ...percentInterval(ratio), '']),
    ] : []),
    csvRow(['total', '', String(total), oneDecimal(total === 0 ? 0 : 100), '', '', '']),
    csvRow(['needs_review', '', String(needsReview), share(needsReview), '', '', '']),
    csvRow(['out_of_scope', '', String(outOfScope), share(outOfScope), '', '', '']),
    ...(differential.nonWhite ? nonWhiteCsvFields(differential.nonWhite).map(([name, ...rest]) => csvRow([name, '', ...rest, ''])) : []),
  ].join('');
}
