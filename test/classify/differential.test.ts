import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv } from '../../src/classify/csv';
import { differentialCount, differentialCsv, formatDifferential } from '../../src/classify/differential';
import type { Prediction } from '../../src/classify/predictions';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';
import { WbcError } from '../../src/util/errors';

const CLASSES = ['bands', 'basophils', 'lymphocytes', 'neutrophils'];

function predictions(labels: readonly string[], reviewEvery = 0, outOfScopeEvery = 0): Prediction[] {
  return labels.map((label, i) => ({
    file: `${i}.png`,
    prediction: label,
    confidence: 0.9,
    second: 'bands',
    secondConfidence: 0.1,
    needsReview: reviewEvery > 0 && i % reviewEvery === 0,
    outOfScopeScore: 0.5,
    outOfScope: outOfScopeEvery > 0 && i % outOfScopeEvery === 0,
    probabilities: [0.1, 0, 0, 0.9],
    group: label,
    groupConfidence: 0.9,
  }));
}

// 3 neutrophils, 2 lymphocytes, 1 band, 0 basophils; images 0 and 3 need review, image 0 is out of scope.
const SIX = predictions(['neutrophils', 'lymphocytes', 'neutrophils', 'bands', 'lymphocytes', 'neutrophils'], 3, 6);

test('counts per class in class order, including classes with no cells', () => {
  const d = differentialCount(SIX, CLASSES);
  assert.equal(d.total, 6);
  assert.equal(d.needsReview, 2);
  assert.equal(d.outOfScope, 1);
  assert.deepEqual(
    d.rows.map((row) => [row.className, row.count]),
    [
      ['bands', 1],
      ['basophils', 0],
      ['lymphocytes', 2],
      ['neutrophils', 3],
    ],
  );
  // Unrounded percentages.
  assert.equal(d.rows[0].percent, (1 / 6) * 100);
  assert.equal(d.rows[1].percent, 0);
});

test('percentages sum to 100', () => {
  const d = differentialCount(predictions(['bands', 'basophils', 'basophils', 'neutrophils', 'lymphocytes', 'bands', 'bands']), CLASSES);
  const sum = d.rows.reduce((total, row) => total + row.percent, 0);
  assert.ok(Math.abs(sum - 100) < 1e-9, String(sum));
});

test('empty predictions give a total of 0 and percentages of 0, never NaN', () => {
  const d = differentialCount([], CLASSES);
  assert.deepEqual(d, {
    total: 0,
    needsReview: 0,
    outOfScope: 0,
    rows: CLASSES.map((className) => ({ className, count: 0, percent: 0 })),
    itRatio: null,
  });
  const text = formatDifferential(d);
  const csv = differentialCsv(d);
  assert.ok(!text.includes('NaN') && !csv.includes('NaN'));
  assert.match(text, /needs review: 0 \(0\.0%\)/);
  assert.ok(csv.endsWith('total,0,0.0,,\nneeds_review,0,0.0,,\nout_of_scope,0,0.0,,\n'));
});

test('rejects a prediction that is not one of the classes', () => {
  assert.throws(() => differentialCount(predictions(['platelets']), CLASSES), WbcError);
});

test('the terminal table is aligned, with percentages to 1 decimal, the total and the review count', () => {
  const text = formatDifferential(differentialCount(SIX, CLASSES));
  assert.equal(
    text,
    [
      'class        count      %',
      'bands            1   16.7',
      'basophils        0    0.0',
      'lymphocytes      2   33.3',
      'neutrophils      3   50.0',
      '-------------------------',
      'total            6  100.0',
      'needs review: 2 (33.3%)',
      'out of scope: 1 (16.7%), unlike the cells the model was trained on; included in needs review',
      '',
    ].join('\n'),
  );
});

test('the CSV has class rows with their 95% intervals, then total, needs_review and out_of_scope rows', () => {
  const csv = differentialCsv(differentialCount(SIX, CLASSES));
  const interval = (count: number): string => {
    const { low, high } = clopperPearsonInterval(count, 6);
    return `${(low * 100).toFixed(2)},${(high * 100).toFixed(2)}`;
  };
  assert.equal(
    csv,
    'class,count,percent,ci_low,ci_high\n' +
      `bands,1,16.7,${interval(1)}\n` +
      `basophils,0,0.0,0.00,${interval(0).split(',')[1]}\n` +
      `lymphocytes,2,33.3,${interval(2)}\n` +
      `neutrophils,3,50.0,${interval(3)}\n` +
      'total,6,100.0,,\n' +
      'needs_review,2,33.3,,\n' +
      'out_of_scope,1,16.7,,\n',
  );
  // 3 of 6: an interval symmetric about 50%.
  const [, , , low, high] = parseCsv(csv)[4];
  assert.ok(Math.abs(Number(low) + Number(high) - 100) < 0.011, `${low} ${high}`);
  const awkward = differentialCsv(differentialCount(predictions(['a, "b"']), ['a, "b"', '=c']));
  assert.deepEqual(parseCsv(awkward).slice(1, 3).map((row) => row.slice(0, 3)), [
    ['a, "b"', '1', '100.0'],
    ["'=c", '0', '0.0'],
  ]);
});
