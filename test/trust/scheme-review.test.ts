import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { softmaxRows } from '../../src/model/views';
import { averageLogits, topLabel } from '../../src/model/scores';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { decodeCalibrationScores, encodeCalibrationScores, type CalibrationScores } from '../../src/trust/calibration-scores';
import { fitAdaptiveViews } from '../../src/trust/adaptive-views';
import { chooseGuaranteedThreshold } from '../../src/trust/review-threshold';
import { calibratedProbabilities, schemeReviewChoice } from '../../src/trust/scheme-review';
import type { Trust } from '../../src/trust/trust-model';
import { Rng } from '../../src/util/rng';
import { WbcError } from '../../src/util/errors';

const CLASSES = ['a1', 'a2', 'b', 'c'];
const PAIRED = { name: 'paired', categories: [{ name: 'a', classes: ['a1', 'a2'] }, { name: 'b', classes: ['b'] }, { name: 'c', classes: ['c'] }] };

/**
 * Synthetic calibration images whose errors are mostly a1 ↔ a2 confusions, as bands and segmented
 * neutrophils are: the true class gets a high logit, and a1/a2 images give their twin nearly as much.
 */
function synthetic(n: number, views: number, seed = 3): CalibrationScores {
  const rng = new Rng(seed);
  const classes = CLASSES.length;
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng.next() * classes));
  const base = new Float32Array(n * classes);
  for (let i = 0; i < n; i += 1) {
    for (let c = 0; c < classes; c += 1) base[i * classes + c] = (rng.next() - 0.5) * 2;
    base[i * classes + labels[i]] += 4 + rng.next() * 3;
    if (labels[i] < 2) base[i * classes + (1 - labels[i])] += 3.5 + rng.next() * 3.5;
  }
  const logitsPerView = Array.from({ length: views }, () => base.map((value) => value + (rng.next() - 0.5) * 0.5));
  const outOfScopeScores = Float32Array.from({ length: n }, (_, i) => (i % 20 === 0 ? 5 : rng.next()));
  return { classes, logitsPerView, labels, outOfScopeScores };
}

function trust(views: 1 | 2 | 4 | 8, temperature: number): Trust {
  return { views, temperature, reviewThreshold: 0.9, outOfScope: { score: async () => new Float32Array(0), threshold: 1 } };
}

test('the calibration scores file reads back exactly, and a file of another length is refused', () => {
  const scores = synthetic(50, 8);
  const { info, bytes } = encodeCalibrationScores(scores);
  assert.deepEqual({ images: info.images, views: info.views, classes: info.classes }, { images: 50, views: 8, classes: 4 });
  assert.match(info.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(decodeCalibrationScores(bytes, info), scores);
  assert.throws(() => decodeCalibrationScores(bytes.subarray(4), info), /holds 6796 bytes, not the 6800 that model.json describes/);
  const badLabel = { ...scores, labels: Int32Array.from(scores.labels, () => 7) };
  assert.throws(() => decodeCalibrationScores(encodeCalibrationScores(badLabel).bytes, info), /label outside its 4 classes/);
  assert.throws(() => encodeCalibrationScores({ ...scores, outOfScopeScores: new Float32Array(3) }), WbcError);
});

test('nine (class by class) gives exactly the threshold calibration chose, from the same scores', () => {
  const scores = synthetic(2000, 8);
  for (const views of [1, 4, 8] as const) {
    const temperature = 1.3;
    // What src/trust/calibrate.ts does at training.
    const after = topLabel(softmaxRows(averageLogits(scores.logitsPerView, views), 4, temperature), 4, scores.labels);
    const inScope = Array.from(scores.labels.keys()).filter((i) => !(scores.outOfScopeScores[i] > 1));
    const atTraining = chooseGuaranteedThreshold(inScope.map((i) => after.confidences[i]), inScope.map((i) => after.correct[i]), 0.02);
    assert.deepEqual(schemeReviewChoice(scores, trust(views, temperature), chooseScheme('nine', CLASSES), 0.02), atTraining);
  }
});

test('grouping the confused pair accepts more cells at the same guarantee, on category outcomes', () => {
  const scores = synthetic(3000, 8);
  const nine = schemeReviewChoice(scores, trust(8, 1), chooseScheme('nine', CLASSES), 0.02);
  const paired = schemeReviewChoice(scores, trust(8, 1), chooseScheme(PAIRED, CLASSES), 0.02);
  assert.ok(nine.supported && paired.supported);
  assert.ok(paired.accepted > nine.accepted * 1.2, `paired accepts ${paired.accepted}, class by class ${nine.accepted}`);
  assert.ok(paired.errorUpperBound <= 0.02);
  // Out-of-scope images (every 20th) are left out, as at training: they are flagged whatever the scheme.
  assert.equal(paired.calibrationImages, 3000 - 150);
});

test('calibrated probabilities follow the trust settings: the views averaged and the temperature', () => {
  const scores = synthetic(10, 8);
  assert.deepEqual(calibratedProbabilities(scores, trust(2, 0.7)), softmaxRows(averageLogits(scores.logitsPerView, 2), 4, 0.7));
  const four = synthetic(10, 4);
  assert.throws(() => calibratedProbabilities(four, trust(8, 1)), /hold 4 test-time view\(s\), not the 8 asked for/);
});

test('with adaptive views, nine gives exactly the threshold the adaptive fit chose', () => {
  const scores = synthetic(2000, 8, 5);
  const inScope = Array.from(scores.labels.keys()).filter((i) => !(scores.outOfScopeScores[i] > 1));
  const after = topLabel(softmaxRows(averageLogits(scores.logitsPerView), 4, 1), 4, scores.labels);
  const reviewToMatch = chooseGuaranteedThreshold(inScope.map((i) => after.confidences[i]), inScope.map((i) => after.correct[i]), 0.02);
  const adaptive = fitAdaptiveViews({ logitsPerView: scores.logitsPerView, labels: scores.labels, classes: 4, gateTemperature: 1, inScope, maxAcceptedError: 0.02, reviewToMatch });
  const adaptiveTrust: Trust = { views: 'auto', temperature: adaptive.unsureTemperature, adaptive, reviewThreshold: adaptive.review.threshold, outOfScope: { score: async () => new Float32Array(0), threshold: 1 } };
  assert.deepEqual(schemeReviewChoice(scores, adaptiveTrust, chooseScheme('nine', CLASSES), 0.02), adaptive.review);
});
