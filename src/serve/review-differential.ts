import type { Differential as CountedDifferential } from '../classify/differential';
import { differentialCsv } from '../classify/differential';
import { itRatio } from '../classify/it-ratio';
import { PER_100_WHITE_KINDS, per100White } from '../classify/non-white-count';
import { schemeDifferentialCsv, topClassWithin, type SchemeDifferential } from '../classify/scheme-differential';
import type { Scheme } from '../scheme/scheme';
import { csvRow } from '../util/csv';
import { clopperPearsonInterval } from '../trust/binomial-interval';
import { REVIEW_BINS, isBin } from './labels';
import type { Differential } from './api-schemas';
import type { ReviewState } from './store';

const intervals = new Map<string, { low: number; high: number }>();

/** Intervals are exact but take a few milliseconds each; a review asks for the same counts again and again. */
function cachedInterval(count: number, total: number): { low: number; high: number } {
  const key = `${count}/${total}`;
  let interval = intervals.get(key);
  if (!interval) {
    if (intervals.size > 100_000) intervals.clear();
    interval = clopperPearsonInterval(count, total);
    intervals.set(key, interval);
  }
  return interval;
}

function counted(count: number, total: number): { count: number; percent: number; ci_low: number; ci_high: number } {
  const { low, high } = cachedInterval(count, total);
  return { count, percent: total === 0 ? 0 : (count / total) * 100, ci_low: low * 100, ci_high: high * 100 };
}

/**
 * The class a cell counts under: its reviewed label, or else its most probable class within the category
 * it was classified in (its prediction, under nine), so that the class detail adds up to each category.
 */
function countedClass(cell: ReviewState, classes: readonly string[], scheme: Scheme): number {
  if (cell.label !== null) return classes.indexOf(cell.label);
  const category = scheme.categories.findIndex((candidate) => candidate.name === cell.group);
  return category < 0 ? classes.indexOf(cell.prediction) : topClassWithin(cell.probabilities, scheme, category);
}

/**
 * The differential as reviewed so far, in the scheme's categories with the class detail beneath: each
 * cell counts under its reviewed label (the category that label's class is in), or else as it was
 * classified. Bins, unreviewed out-of-scope cells and non-white kinds are left out of the denominator
 * and shown apart: nucleated red cells per 100 white cells with their interval, other kinds as counts.
 */
export function reviewDifferential(cells: readonly ReviewState[], classes: readonly string[], scheme: Scheme): Differential {
  const classCounts = new Array<number>(classes.length).fill(0);
  const categoryCounts = new Array<number>(scheme.categories.length).fill(0);
  const bins: Record<string, number> = Object.fromEntries(REVIEW_BINS.map((bin) => [bin, 0]));
  let outOfScope = 0;
  let reviewed = 0;
  let pending = 0;
  let nonWhitePending = 0;
  for (const cell of cells) {
    if (cell.label !== null) reviewed += 1;
    else if (cell.needs_review) pending += 1;
    if (cell.label === null && cell.out_of_scope === true) {
      outOfScope += 1;
      continue;
    }
    if (cell.label !== null && isBin(cell.label)) {
      bins[cell.label] += 1;
      continue;
    }
    const c = countedClass(cell, classes, scheme);
    classCounts[c] += 1;
    categoryCounts[scheme.categoryOfClass[c]] += 1;
    if (cell.label === null && cell.needs_review && scheme.nonWhite[scheme.categoryOfClass[c]]) nonWhitePending += 1;
  }
  const isWhite = (c: number) => !scheme.nonWhite[scheme.categoryOfClass[c]];
  const total = classCounts.reduce((sum, count, c) => (isWhite(c) ? sum + count : sum), 0);
  const whiteClasses = classes.filter((_, c) => isWhite(c));
  const classRow = (name: string) => ({ class: name, ...counted(classCounts[classes.indexOf(name)], total) });
  const ratio = itRatio(new Map(whiteClasses.map((name) => [name, classCounts[classes.indexOf(name)]])));
  return {
    scheme: scheme.name,
    total,
    rows: whiteClasses.map(classRow),
    categories: scheme.categories.flatMap((category, k) => (scheme.nonWhite[k] ? [] : [{
      category: category.name,
      ...(category.loinc !== undefined && { loinc: category.loinc }),
      ...counted(categoryCounts[k], total),
      classes: category.classes.map(classRow),
    }])),
    it_ratio: ratio && { immature: ratio.immature, lineage: ratio.lineage, value: ratio.ratio, ci_low: ratio.low, ci_high: ratio.high },
    non_white: classes.flatMap((kind, c) => {
      if (isWhite(c)) return [];
      const per100 = PER_100_WHITE_KINDS.includes(kind) ? per100White(classCounts[c], total) : null;
      return [{ kind, count: classCounts[c], per_100_white: per100 && { value: per100.value, ci_low: per100.low, ci_high: per100.high } }];
    }),
    non_white_needs_review_pending: nonWhitePending,
    bins,
    out_of_scope_unreviewed: outOfScope,
    reviewed,
    needs_review_pending: pending,
    cells: cells.length,
  };
}

/** The review's differential as `wbc classify`'s counts, so that its CSV writers serve the review too. */
function asCounted(differential: Differential): { classes: CountedDifferential; scheme: SchemeDifferential } {
  const { total, needs_review_pending: needsReview, out_of_scope_unreviewed: outOfScope } = differential;
  const fraction = (row: { count: number; percent: number; ci_low: number; ci_high: number }) =>
    ({ count: row.count, percent: row.percent, low: row.ci_low / 100, high: row.ci_high / 100 });
  const ratio = differential.it_ratio && { immature: differential.it_ratio.immature, lineage: differential.it_ratio.lineage,
    ratio: differential.it_ratio.value, low: differential.it_ratio.ci_low, high: differential.it_ratio.ci_high };
  const nonWhite = differential.non_white.length === 0 ? undefined : {
    rows: differential.non_white.map((row) => ({ kind: row.kind, count: row.count,
      per100White: row.per_100_white && { value: row.per_100_white.value, low: row.per_100_white.ci_low, high: row.per_100_white.ci_high } })),
    needsReview: differential.non_white_needs_review_pending,
    outOfScope: 0,
  };
  return {
    classes: { total, needsReview, outOfScope, rows: differential.rows.map((row) => ({ className: row.class, count: row.count, percent: row.percent })), itRatio: ratio, ...(nonWhite && { nonWhite }) },
    scheme: {
      scheme: differential.scheme, total, needsReview, outOfScope, itRatio: ratio, ...(nonWhite && { nonWhite }),
      categories: differential.categories.map((category) => ({ category: category.category, ...(category.loinc !== undefined && { loinc: category.loinc }),
        ...fraction(category), classes: category.classes.map((detail) => ({ className: detail.class, ...fraction(detail) })) })),
    },
  };
}

/** The review's differential as `wbc classify`'s scheme differential (non-white kinds included): what the FHIR export takes. */
export function reviewSchemeDifferential(differential: Differential): SchemeDifferential {
  return asCounted(differential).scheme;
}

/**
 * The CLI's differential CSV for the review's scheme (class by class under nine, else by category with
 * the class detail), its needs_review and out_of_scope rows counting the flagged and out-of-scope cells
 * not reviewed yet; then one row per bin, padded to its columns.
 */
export function reviewDifferentialCsv(differential: Differential, classByClass: boolean): string {
  const counts = asCounted(differential);
  const csv = classByClass ? differentialCsv(counts.classes) : schemeDifferentialCsv(counts.scheme);
  const columns = classByClass ? 5 : 7;
  const binRows = Object.entries(differential.bins).map(([bin, count]) => csvRow([`bin: ${bin}`, ...(classByClass ? [] : ['']), String(count), ...new Array<string>(columns - (classByClass ? 2 : 3)).fill('')]));
  return csv + binRows.join('');
}
