import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv } from '../../src/classify/csv';
import { differentialCount, differentialCsv, formatDifferential } from '../../src/classify/differential';
import { per100White } from '../../src/classify/non-white-count';
import { differentialsByFolder, perFolderDifferentialCsv } from '../../src/classify/per-folder';
import type { Prediction } from '../../src/classify/predictions';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';
import { WbcError } from '../../src/util/errors';

const CLASSES = ['bands', 'lymphocytes', 'erythroblasts', 'platelets'];
const KINDS = ['erythroblasts', 'platelets'];

function predictions(labels: readonly string[], review: readonly number[] = []): Prediction[] {
  return labels.map((label, i) => ({
    file: `slide-${i % 2}/${i}.png`,
    prediction: label,
    confidence: 0.9,
    second: 'bands',
    secondConfidence: 0.1,
    needsReview: review.includes(i),
    outOfScopeScore: 0.5,
    outOfScope: false,
    probabilities: [0.1, 0.9, 0, 0],
    group: label,
    groupConfidence: 0.9,
  }));
}

// 3 white cells (one reviewed), 2 erythroblasts (one reviewed), 1 platelet.
const MIXED = predictions(['bands', 'erythroblasts', 'lymphocytes', 'platelets', 'lymphocytes', 'erythroblasts'], [2, 5]);

test('non-white cells are left out of the differential and counted apart', () => {
  const d = differentialCount(MIXED, CLASSES, KINDS);
  assert.equal(d.total, 3);
  assert.equal(d.needsReview, 1);
  assert.deepEqual(d.rows.map((row) => [row.className, row.count, row.percent]), [['bands', 1, (1 / 3) * 100], ['lymphocytes', 2, (2 / 3) * 100]]);
  assert.deepEqual(d.nonWhite?.rows.map((row) => [row.kind, row.count]), [['erythroblasts', 2], ['platelets', 1]]);
  assert.equal(d.nonWhite?.needsReview, 1);
  assert.equal(d.nonWhite?.rows[0].per100White?.value, 200 / 3);
  assert.equal(d.nonWhite?.rows[1].per100White, null);
});

test('without non-white kinds the differential counts every cell, as before', () => {
  const d = differentialCount(MIXED, CLASSES);
  assert.equal(d.total, 6);
  assert.equal(d.nonWhite, undefined);
  assert.equal(parseCsv(differentialCsv(d)).length, 1 + CLASSES.length + 3);
});

test('per 100 white cells: the Clopper–Pearson interval of the share, as a ratio', () => {
  const result = per100White(5, 100)!;
  const { low, high } = clopperPearsonInterval(5, 105);
  assert.equal(result.value, 5);
  assert.ok(Math.abs(result.low - (100 * low) / (1 - low)) < 1e-9);
  assert.ok(Math.abs(result.high - (100 * high) / (1 - high)) < 1e-9);
  assert.ok(result.low < 5 && result.high > 5 && result.low > 1 && result.high < 13, JSON.stringify(result));
  assert.equal(per100White(0, 200)!.low, 0);
  assert.equal(per100White(3, 0), null);
});

test('the CSV gives each kind after out_of_scope, per 100 white cells for erythroblasts only', () => {
  const rows = parseCsv(differentialCsv(differentialCount(MIXED, CLASSES, KINDS)));
  const names = rows.map((row) => row[0]);
  assert.deepEqual(names.slice(-6), ['total', 'needs_review', 'out_of_scope', 'erythroblasts', 'platelets', 'non_white_needs_review']);
  const interval = per100White(2, 3)!;
  assert.deepEqual(rows.at(-3), ['erythroblasts', '2', '66.7', interval.low.toFixed(2), interval.high.toFixed(2)]);
  assert.deepEqual(rows.at(-2), ['platelets', '1', '', '', '']);
  assert.deepEqual(rows.at(-1), ['non_white_needs_review', '1', '', '', '']);
  assert.ok(!names.slice(1, 3).includes('erythroblasts'));
});

test('the terminal table says the kinds are not in the differential', () => {
  const text = formatDifferential(differentialCount(MIXED, CLASSES, KINDS));
  assert.match(text, /not white cells, not in the differential:\n  erythroblasts +2  66\.7 per 100 white cells \(95% interval \d+\.\d–\d+\.\d\)\n  platelets +1\n/);
  assert.doesNotMatch(formatDifferential(differentialCount(MIXED, CLASSES)), /not white cells/);
});

test('per folder, each folder counts its own non-white cells', () => {
  const perFolder = differentialsByFolder(MIXED, CLASSES, KINDS);
  assert.deepEqual(perFolder.map(({ folder, differential }) => [folder, differential.total, differential.nonWhite?.rows[0].count]), [['slide-0/', 3, 0], ['slide-1/', 0, 2]]);
  const rows = parseCsv(perFolderDifferentialCsv(differentialCount(MIXED, CLASSES, KINDS), perFolder));
  // slide-1/ has no white cells, so no ratio per 100 of them.
  assert.deepEqual(rows.filter((row) => row[0] === 'erythroblasts').map((row) => [row[1], row[2], row.at(-1)]), [['2', '66.7', '(all)'], ['0', '0.0', 'slide-0/'], ['2', '', 'slide-1/']]);
});

test('non-white kinds that are not classes are refused', () => {
  assert.throws(() => differentialCount(MIXED, CLASSES, ['nrbc']), (error: Error) => error instanceof WbcError && /nrbc are not among the classes/.test(error.message));
});
