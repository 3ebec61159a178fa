/** Prints figures as `name=value` lines on stdout, the one format bench/RESULTS.md and scripts read. */

export function figure(name: string, value: number | string): void {
  const text = typeof value === 'number' ? formatNumber(value) : value;
  process.stdout.write(`${name}=${text}\n`);
}

/** Progress and explanations go to stderr, so stdout stays name=value lines only. */
export function note(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `name_min`, `name_median` and `name_max` of repeated measurements. */
export function spread(name: string, values: readonly number[]): void {
  if (values.length === 0) return;
  figure(`${name}_min`, Math.min(...values));
  figure(`${name}_median`, median(values));
  figure(`${name}_max`, Math.max(...values));
}

/**
 * Ours divided by theirs, pair by pair: each pair ran back to back, so drift in the machine's speed
 * cancels within a pair. The median pair is the headline; min and max show how far pairs disagree.
 */
export function pairedRatio(name: string, ours: readonly number[], theirs: readonly number[]): void {
  const ratios = ours.map((value, i) => value / theirs[i]);
  figure(name, median(ratios));
  figure(`${name}_min`, Math.min(...ratios));
  figure(`${name}_max`, Math.max(...ratios));
}
