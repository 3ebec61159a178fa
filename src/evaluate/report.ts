import type { Metrics } from './metrics';

const MAX_WIDTH = 100;
const SHORT_NAME_LENGTH = 4;

/** Code points rather than UTF-16 units, so that slicing never splits a character. */
function characters(text: string): string[] {
  return Array.from(text);
}

function width(text: string): number {
  return characters(text).length;
}

function padLeft(text: string, size: number): string {
  return ' '.repeat(Math.max(0, size - width(text))) + text;
}

function padRight(text: string, size: number): string {
  return text + ' '.repeat(Math.max(0, size - width(text)));
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * Column headers for the confusion matrix: the first 4 characters of each class name, lengthened where
 * needed until no other class starts with the same prefix (or the whole name is used).
 */
export function shortClassNames(classes: readonly string[]): string[] {
  const split = classes.map(characters);
  return split.map((chars, index) => {
    let length = Math.min(SHORT_NAME_LENGTH, chars.length);
    const clashes = (size: number): boolean =>
      split.some((other, j) => j !== index && other.slice(0, size).join('') === chars.slice(0, size).join(''));
    while (length < chars.length && clashes(length)) length += 1;
    return chars.slice(0, length).join('');
  });
}

/** Joins `items` with `separator` into lines no wider than MAX_WIDTH, each starting with `prefix` or its indent. */
function wrap(prefix: string, items: readonly string[], separator: string): string[] {
  const lines: string[] = [];
  let line = prefix;
  let lineHasItem = false;
  for (const item of items) {
    const candidate = lineHasItem ? line + separator + item : line + item;
    if (lineHasItem && width(candidate) > MAX_WIDTH) {
      lines.push(line + separator.trimEnd());
      line = ' '.repeat(width(prefix)) + item;
    } else {
      line = candidate;
    }
    lineHasItem = true;
  }
  lines.push(line);
  return lines;
}

function summaryLines(metrics: Metrics): string[] {
  const samples = metrics.confusionMatrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const rows: [string, number][] = [
    ['accuracy', metrics.accuracy],
    ['balanced accuracy', metrics.balancedAccuracy],
    ['macro-F1', metrics.macroF1],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => width(label)));
  return [
    `images: ${samples}`,
    ...rows.map(
      ([label, value]) => `${padRight(label, labelWidth)}  ${padLeft(percent(value), 6)}  (${value.toFixed(3)})`,
    ),
  ];
}

function perClassLines(metrics: Metrics): string[] {
  const headers = ['class', 'precision', 'recall', 'F1', 'support'];
  const rows = metrics.classes.map((name) => {
    const m = metrics.perClass[name];
    return [name, m.precision.toFixed(3), m.recall.toFixed(3), m.f1.toFixed(3), String(m.support)];
  });
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column]))));
  // Class names read best left-aligned; numbers right-aligned so that their decimal points line up.
  const format = (row: string[]): string =>
    row.map((cell, column) => (column === 0 ? padRight(cell, widths[0]) : padLeft(cell, widths[column]))).join('  ');
  return [format(headers), ...rows.map(format)].map((line) => line.trimEnd());
}

function confusionLines(metrics: Metrics): string[] {
  const shortNames = shortClassNames(metrics.classes);
  const cellWidth = Math.max(
    ...shortNames.map(width),
    ...metrics.confusionMatrix.flat().map((count) => String(count).length),
  );
  const labelWidth = Math.max(width('true \\ predicted'), ...metrics.classes.map(width));
  const row = (label: string, cells: readonly string[]): string =>
    [padRight(label, labelWidth), ...cells.map((cell) => padLeft(cell, cellWidth))].join(' ').trimEnd();
  const legend = metrics.classes.map((name, index) => `${shortNames[index]} = ${name}`);
  return [
    row('true \\ predicted', shortNames),
    ...metrics.classes.map((name, index) => row(name, metrics.confusionMatrix[index].map(String))),
    ...wrap('columns: ', legend, ', '),
  ];
}

/** A plain-ASCII terminal report: summary scores, a per-class table and the confusion matrix. */
export function formatMetrics(metrics: Metrics): string {
  return [
    ...summaryLines(metrics),
    '',
    ...perClassLines(metrics),
    '',
    'confusion matrix (rows = true class, columns = predicted class)',
    ...confusionLines(metrics),
    '',
  ].join('\n');
}
