import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chooseReviewThreshold } from '../../src/evaluate/review-threshold';
import { WbcError } from '../../src/util/errors';

test('all correct gives 0.5, even when every confidence is higher', () => {
  assert.equal(chooseReviewThreshold([0.8, 0.9, 0.99], [true, true, true]), 0.5);
});

test('no candidate reaching the target gives 0.95', () => {
  assert.equal(chooseReviewThreshold([0.6, 0.97, 0.99], [true, false, false]), 0.95);
  assert.equal(chooseReviewThreshold([], []), 0.95);
});

test('the lowest threshold above which accuracy reaches the target', () => {
  // Sorted: 0.55 ✗, 0.62 ✓, 0.70 ✗, 0.81 ✓, 0.88 ✓, 0.93 ✓.
  // ≥0.5: 4/6, ≥0.55: 4/6, ≥0.62: 4/5, ≥0.70: 3/4, ≥0.81: 3/3.
  const confidences = [0.93, 0.55, 0.81, 0.7, 0.88, 0.62];
  const correct = [true, false, true, false, true, true];
  assert.equal(chooseReviewThreshold(confidences, correct), 0.81);
  assert.equal(chooseReviewThreshold(confidences, correct, 0.8), 0.62);
  assert.equal(chooseReviewThreshold(confidences, correct, 0.75), 0.62);
  assert.equal(chooseReviewThreshold(confidences, correct, 0.6), 0.5);
});

test('an accuracy exactly equal to the target qualifies', () => {
  // 97 correct at 0.9, 3 wrong at 0.6: at 0.5 exactly 97/100.
  const confidences = [...new Array<number>(97).fill(0.9), 0.6, 0.6, 0.6];
  const correct = [...new Array<boolean>(97).fill(true), false, false, false];
  assert.equal(chooseReviewThreshold(confidences, correct, 0.97), 0.5);
  assert.equal(chooseReviewThreshold(confidences, correct, 0.98), 0.9);
  // 0.56 × 25 is 14.000000000000002 in floating point, yet 14 of 25 is exactly 0.56.
  const confidences25 = [...new Array<number>(14).fill(0.9), ...new Array<number>(11).fill(0.6)];
  const correct25 = [...new Array<boolean>(14).fill(true), ...new Array<boolean>(11).fill(false)];
  assert.equal(chooseReviewThreshold(confidences25, correct25, 0.56), 0.5);
});

test('candidates are clamped to [0.5, 0.95] and rounded down to 2 decimals', () => {
  // Only the 0.999 prediction is correct: 0.95 (clamped) keeps it alone.
  assert.equal(chooseReviewThreshold([0.3, 0.94, 0.999], [false, false, true]), 0.95);
  // 0.8449 rounds to 0.84, which still keeps the correct 0.8449 and drops the wrong 0.7.
  assert.equal(chooseReviewThreshold([0.7, 0.8449], [false, true]), 0.84);
  // Rounding down: 0.7777 gives 0.77, which keeps the correct prediction it came from (0.78 would not).
  assert.equal(chooseReviewThreshold([0.6, 0.7777], [false, true]), 0.77);
  // 0.58 · 100 is 57.999… in floating point; the threshold must still be 0.58, not 0.57 (which keeps the wrong 0.57).
  assert.equal(chooseReviewThreshold([0.57, 0.58, 0.6], [false, true, true]), 0.58);
});

test('rejects mismatched lengths and impossible targets', () => {
  assert.throws(() => chooseReviewThreshold([0.9], []), WbcError);
  assert.throws(() => chooseReviewThreshold([0.9], [true], 0), WbcError);
  assert.throws(() => chooseReviewThreshold([0.9], [true], 1.5), WbcError);
});
