import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatNonWhiteCrossings, nonWhiteCrossings, type ScoredAnswer } from '../../src/evaluate/non-white-crossings';
import { WbcError } from '../../src/util/errors';

const KINDS = ['erythroblasts', 'platelets'];

function answer(truth: string, prediction: string, needsReview = false): ScoredAnswer {
  return { truth, prediction, needsReview };
}

const ANSWERS = [
  answer('lymphocytes', 'lymphocytes'),
  answer('lymphocytes', 'erythroblasts'),
  answer('bands', 'platelets', true),
  answer('bands', 'neutrophils'),
  answer('erythroblasts', 'lymphocytes'),
  answer('erythroblasts', 'lymphocytes', true),
  answer('erythroblasts', 'platelets'),
  answer('platelets', 'platelets'),
];

test('counts white cells called non-white and non-white cells called white, with and without review', () => {
  assert.deepEqual(nonWhiteCrossings(ANSWERS, KINDS), {
    whiteCells: 4,
    // Flagged or not: a white cell called non-white leaves the differential either way.
    whiteCalledNonWhite: 2,
    nonWhiteCells: 4,
    // A non-white kind mistaken for the other is no crossing.
    nonWhiteCalledWhite: 2,
    nonWhiteCalledWhiteUnreviewed: 1,
  });
});

test('says both in two lines, with shares', () => {
  assert.equal(formatNonWhiteCrossings(nonWhiteCrossings(ANSWERS, KINDS)),
    'white cells called non-white: 2 of 4 (50.00%)\nnon-white cells called white: 2 of 4 (50.00%), 1 of them without a review flag (25.00%)');
  assert.match(formatNonWhiteCrossings(nonWhiteCrossings(ANSWERS.slice(0, 2), KINDS)), /called white: 0 of 0, 0 of them/);
});

test('a model without non-white kinds has nothing to count', () => {
  assert.throws(() => nonWhiteCrossings(ANSWERS, []), WbcError);
});
