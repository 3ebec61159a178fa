import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { toPredictions } from '../../src/classify/predictions';
import { WbcError } from '../../src/util/errors';

const CLASSES = ['bands', 'blasts', 'monocytes', 'neutrophils'];

test('top two classes in order, with their probabilities and all the probabilities', () => {
  const probabilities = Float32Array.from([0.1, 0.2, 0.6, 0.1, 0.05, 0.05, 0.3, 0.6]);
  const [first, second] = toPredictions(['a.png', 'sub/b.png'], probabilities, CLASSES, 0.5);
  assert.equal(first.file, 'a.png');
  assert.equal(first.prediction, 'monocytes');
  assert.equal(first.second, 'blasts');
  assert.equal(first.confidence, Math.fround(0.6));
  assert.equal(first.secondConfidence, Math.fround(0.2));
  assert.deepEqual(first.probabilities, [0.1, 0.2, 0.6, 0.1].map(Math.fround));
  assert.equal(second.file, 'sub/b.png');
  assert.equal(second.prediction, 'neutrophils');
  assert.equal(second.second, 'monocytes');
});

test('the best class in the first position still yields the right runner-up', () => {
  const [p] = toPredictions(['x'], Float32Array.from([0.7, 0.05, 0.05, 0.2]), CLASSES, 0.5);
  assert.equal(p.prediction, 'bands');
  assert.equal(p.second, 'neutrophils');
  const [q] = toPredictions(['y'], Float32Array.from([0.2, 0.7, 0.05, 0.05]), CLASSES, 0.5);
  assert.equal(q.prediction, 'blasts');
  assert.equal(q.second, 'bands');
});

test('ties go to the lower class index', () => {
  const [allEqual] = toPredictions(['x'], Float32Array.from([0.25, 0.25, 0.25, 0.25]), CLASSES, 0.5);
  assert.equal(allEqual.prediction, 'bands');
  assert.equal(allEqual.second, 'blasts');
  const [lateTie] = toPredictions(['y'], Float32Array.from([0.1, 0.1, 0.4, 0.4]), CLASSES, 0.5);
  assert.equal(lateTie.prediction, 'monocytes');
  assert.equal(lateTie.second, 'neutrophils');
  const [secondTie] = toPredictions(['z'], Float32Array.from([0.1, 0.6, 0.15, 0.15]), CLASSES, 0.5);
  assert.equal(secondTie.prediction, 'blasts');
  assert.equal(secondTie.second, 'monocytes');
});

test('needs review exactly when confidence is below the threshold', () => {
  const probabilities = Float32Array.from([0.5, 0.5, 0.75, 0.25, 0.74, 0.26]);
  const predictions = toPredictions(['a', 'b', 'c'], probabilities, ['x', 'y'], Math.fround(0.75));
  assert.deepEqual(
    predictions.map((p) => p.needsReview),
    [true, false, true],
  );
});

test('out of scope or an always-review class sends a confident prediction to review', () => {
  const probabilities = Float32Array.from([0.9, 0.1, 0.9, 0.1, 0.1, 0.9, 0.2, 0.8]);
  const predictions = toPredictions(['a', 'b', 'c', 'd'], probabilities, ['x', 'y'], 0.5, {
    outOfScopeScores: Float32Array.from([0.1, 2, 0.1, 0.1]),
    outOfScopeThreshold: 1,
    alwaysReview: ['y'],
  });
  assert.deepEqual(predictions.map((p) => [p.outOfScope, p.needsReview]), [[false, false], [true, true], [false, true], [false, true]]);
  assert.deepEqual(predictions.map((p) => p.outOfScopeScore), [Math.fround(0.1), 2, Math.fround(0.1), Math.fround(0.1)]);
});

test('a review threshold of 1 reviews everything, even a confidence of exactly 1', () => {
  const [certain] = toPredictions(['a'], Float32Array.from([1, 0]), ['x', 'y'], 1);
  assert.equal(certain.needsReview, true);
});

test('no files gives no predictions', () => {
  assert.deepEqual(toPredictions([], new Float32Array(0), CLASSES, 0.5), []);
});

test('rejects a probability count that does not match files × classes', () => {
  assert.throws(() => toPredictions(['a', 'b'], new Float32Array(7), CLASSES, 0.5), WbcError);
  assert.throws(() => toPredictions(['a'], new Float32Array(1), ['only'], 0.5), WbcError);
});
