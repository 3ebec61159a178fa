import { csvRow } from '../classify/csv';
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

/**
 * The differential as reviewed so far: each cell counts under its reviewed label, or else its prediction;
 * bins and unreviewed out-of-scope cells are left out of the denominator and shown apart.
 */
export function reviewDifferential(cells: readonly ReviewState[], classes: readonly string[]): Differential {
  const counts = new Map<string, number>(classes.map((name) => [name, 0]));
  const bins: Record<string, number> = Object.fromEntries(REVIEW_BINS.map((bin) => [bin, 0]));
  let outOfScope = 0;
  let reviewed = 0;
  let pending = 0;
  for (const cell of cells) {
    if (cell.label !== null) reviewed += 1;
    else if (cell.needs_review) pending += 1;
    if (cell.label === null && cell.out_of_scope === true) {
      outOfScope += 1;
      continue;
    }
    const label = cell.label ?? cell.prediction;
    if (isBin(label)) bins[label] += 1;
    else counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  return {
    total,
    rows: classes.map((name) => {
      const count = counts.get(name)!;
      const { low, high } = cachedInterval(count, total);
      return { class: name, count, percent: total === 0 ? 0 : (count / total) * 100, ci_low: low * 100, ci_high: high * 100 };
    }),
    bins,
    out_of_scope_unreviewed: outOfScope,
    reviewed,
    needs_review_pending: pending,
    cells: cells.length,
  };
}

/** The same columns as the CLI's differential CSV, then one row per bin and one for unreviewed out-of-scope cells. */
export function reviewDifferentialCsv(differential: Differential): string {
  return [
    csvRow(['class', 'count', 'percent', 'ci_low', 'ci_high']),
    ...differential.rows.map((row) =>
      csvRow([row.class, String(row.count), row.percent.toFixed(1), row.ci_low.toFixed(2), row.ci_high.toFixed(2)])),
    csvRow(['total', String(differential.total), differential.total === 0 ? '0.0' : '100.0', '', '']),
    ...Object.entries(differential.bins).map(([bin, count]) => csvRow([`bin: ${bin}`, String(count), '', '', ''])),
    csvRow(['out_of_scope_unreviewed', String(differential.out_of_scope_unreviewed), '', '', '']),
  ].join('');
}
