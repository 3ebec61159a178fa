import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { computeMetrics } from '../../src/evaluate/metrics';
import { formatMetrics, shortClassNames } from '../../src/evaluate/report';

const WBC_CLASSES = [
  'bands',
  'basophils',
  'blasts',
  'eosinophils',
  'lymphocytes',
  'metamyelocytes',
  'monocytes',
  'myelocytes',
  'neutrophils',
];

/** 9 classes with three-digit counts: mostly correct, some errors spread around. */
function nineClassMetrics() {
  const truth: number[] = [];
  const predicted: number[] = [];
  WBC_CLASSES.forEach((_, c) => {
    for (let i = 0; i < 150 + 40 * c; i += 1) {
      truth.push(c);
      predicted.push(i % 11 === 0 ? (c + 1 + (i % 3)) % WBC_CLASSES.length : c);
    }
  });
  return computeMetrics(WBC_CLASSES, truth, predicted);
}

test('the report shows the summary scores as percentages and 3 decimals', () => {
  const m = computeMetrics(['a', 'b', 'c'], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]);
  const text = formatMetrics(m);
  assert.match(text, /^accuracy\s+60\.0%\s+\(0\.600\)$/m);
  assert.match(text, /^balanced accuracy\s+61\.1%\s+\(0\.611\)$/m);
  assert.match(text, /^macro-F1\s+60\.3%\s+\(0\.603\)$/m);
  // Per-class row for a: precision 2/3, recall 1/2, F1 4/7, support 4.
  assert.match(text, /^a\s+0\.667\s+0\.500\s+0\.571\s+4$/m);
  // Confusion matrix row for the true class a.
  assert.match(text, /^a\s+2 +1 +1$/m);
});

test('nine classes fit in 100 columns, in plain ASCII, with aligned columns', () => {
  const text = formatMetrics(nineClassMetrics());
  const lines = text.split('\n');
  for (const line of lines) {
    assert.ok(line.length <= 100, `too wide (${line.length}): ${line}`);
    assert.match(line, /^[\x20-\x7e]*$/);
  }
  for (const name of WBC_CLASSES) assert.ok(text.includes(name), name);

  const header = lines.find((line) => line.startsWith('class'))!;
  const tableRows = lines.filter((line) => /^\S+\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+$/.test(line));
  assert.equal(tableRows.length, 9);
  // Right-aligned numbers: every row ends in the same column as the header.
  for (const row of tableRows) assert.equal(row.length, header.length);

  const matrixHeader = lines.find((line) => line.startsWith('true \\ predicted'))!;
  assert.deepEqual(matrixHeader.split(/\s+/).slice(3), shortClassNames(WBC_CLASSES));
  const matrixRows = lines.slice(lines.indexOf(matrixHeader) + 1, lines.indexOf(matrixHeader) + 10);
  for (const row of matrixRows) assert.equal(row.length, matrixHeader.length);
  assert.ok(lines.some((line) => line.startsWith('columns: band = bands')));
});

test('short names are 4-letter prefixes, lengthened only where they would clash', () => {
  assert.deepEqual(shortClassNames(WBC_CLASSES), ['band', 'baso', 'blas', 'eosi', 'lymp', 'meta', 'mono', 'myel', 'neut']);
  assert.deepEqual(shortClassNames(['neutrophil', 'neutral', 'eo']), ['neutro', 'neutra', 'eo']);
  assert.deepEqual(shortClassNames(['lymph', 'lymphocytes']), ['lymph', 'lympho']);
});
