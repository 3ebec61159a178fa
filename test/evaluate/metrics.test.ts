import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { computeMetrics } from '../../src/evaluate/metrics';
import { WbcError } from '../../src/util/errors';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('three classes, computed by hand', () => {
  // truth     a a a a b b b c c c
  // predicted a a b c b b a c c b
  // confusion (rows true, columns predicted):
  //   a: 2 1 1   (support 4)
  //   b: 1 2 0   (support 3)
  //   c: 0 1 2   (support 3)
  // column sums 3 4 3
  // precision a = 2/3, b = 2/4, c = 2/3;  recall a = 2/4, b = 2/3, c = 2/3
  // F1 a = 2·(2/3·1/2)/(2/3+1/2) = 4/7, b = 4/7, c = 2/3
  // accuracy = 6/10; balanced = (1/2+2/3+2/3)/3 = 11/18; macro-F1 = (4/7+4/7+2/3)/3 = 38/63
  const m = computeMetrics(['a', 'b', 'c'], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]);
  assert.deepEqual(m.confusionMatrix, [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.deepEqual(m.classes, ['a', 'b', 'c']);
  close(m.accuracy, 0.6);
  close(m.balancedAccuracy, 11 / 18);
  close(m.macroF1, 38 / 63);
  close(m.perClass.a.precision, 2 / 3);
  close(m.perClass.a.recall, 1 / 2);
  close(m.perClass.a.f1, 4 / 7);
  close(m.perClass.b.precision, 1 / 2);
  close(m.perClass.b.recall, 2 / 3);
  close(m.perClass.b.f1, 4 / 7);
  close(m.perClass.c.precision, 2 / 3);
  close(m.perClass.c.recall, 2 / 3);
  close(m.perClass.c.f1, 2 / 3);
  assert.deepEqual(
    ['a', 'b', 'c'].map((name) => m.perClass[name].support),
    [4, 3, 3],
  );
});

test('a class that is never predicted has precision, recall and F1 of 0 and still counts in the averages', () => {
  // truth a b c c, predicted a b b b: c is never predicted (precision 0/0 → 0), recall 0/2.
  // b: precision 1/3, recall 1/1, F1 = 2·(1/3)/(4/3) = 1/2. a: all 1.
  const m = computeMetrics(['a', 'b', 'c'], [0, 1, 2, 2], [0, 1, 1, 1]);
  assert.deepEqual(m.perClass.c, { precision: 0, recall: 0, f1: 0, support: 2 });
  close(m.perClass.b.precision, 1 / 3);
  close(m.perClass.b.f1, 1 / 2);
  close(m.accuracy, 2 / 4);
  close(m.balancedAccuracy, (1 + 1 + 0) / 3);
  close(m.macroF1, (1 + 1 / 2 + 0) / 3);
});

test('a class with no support is left out of balanced accuracy and macro-F1', () => {
  // truth a a b b, predicted a c b b: c has support 0 but one false positive.
  // a: precision 1/1, recall 1/2, F1 2/3. b: all 1. c: precision 0/1, recall 0/0 → 0.
  const m = computeMetrics(['a', 'b', 'c'], [0, 0, 1, 1], [0, 2, 1, 1]);
  assert.deepEqual(m.perClass.c, { precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.accuracy, 3 / 4);
  close(m.balancedAccuracy, (1 / 2 + 1) / 2);
  close(m.macroF1, (2 / 3 + 1) / 2);
});

test('perfect predictions score 1 everywhere and give a diagonal matrix', () => {
  const truth = Int32Array.from([0, 1, 2, 2, 1, 0, 2]);
  const m = computeMetrics(['x', 'y', 'z'], truth, truth);
  assert.equal(m.accuracy, 1);
  assert.equal(m.balancedAccuracy, 1);
  assert.equal(m.macroF1, 1);
  assert.deepEqual(m.confusionMatrix, [
    [2, 0, 0],
    [0, 2, 0],
    [0, 0, 3],
  ]);
  for (const name of ['x', 'y', 'z']) {
    assert.equal(m.perClass[name].precision, 1);
    assert.equal(m.perClass[name].recall, 1);
    assert.equal(m.perClass[name].f1, 1);
  }
});

test('rejects mismatched lengths, empty input, labels out of range and duplicate class names', () => {
  assert.throws(() => computeMetrics(['a', 'b'], [0, 1], [0]), WbcError);
  assert.throws(() => computeMetrics(['a', 'b'], [], []), WbcError);
  assert.throws(() => computeMetrics(['a', 'b'], [0, 2], [0, 1]), WbcError);
  assert.throws(() => computeMetrics(['a', 'b'], [0, 1], [0, -1]), WbcError);
  assert.throws(() => computeMetrics(['a', 'b'], [0, 1], [0, 0.5]), WbcError);
  assert.throws(() => computeMetrics(['a', 'a'], [0, 1], [0, 1]), WbcError);
});
