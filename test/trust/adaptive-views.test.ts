import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { scoreWithTrust } from '../../src/classifier/adaptive-scoring';
import type { ModelInfo } from '../../src/model/model-folder';
import { validateModelInfo } from '../../src/model/model-schema';
import { averageLogits, type ViewScores } from '../../src/model/scores';
import { softmaxRows } from '../../src/model/views';
import type { Predictor } from '../../src/runtime/predictor';
import { ADAPTIVE_AGREEMENT, adaptiveProbabilities, fitAdaptiveViews, rowsNeedingViews } from '../../src/trust/adaptive-views';
import { chooseGuaranteedThreshold } from '../../src/trust/review-threshold';
import { trustFor } from '../../src/trust/trust-model';
import { WbcError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const CLASSES = 3;
const VIEWS = 8;
/** A review choice that sends everything to review: any cut matches it. */
const REVIEW_ALL = { threshold: 1, supported: false, maxAcceptedError: 0.05, accepted: 0, errors: 0, errorUpperBound: 1, calibrationImages: 1 };

/**
 * Calibration images whose views agree when the plain view is sure and scatter when it is not: each
 * view's logits are the image's own plus noise, large for the images that are hard.
 */
function calibrationSet(count: number, seed: number): { logitsPerView: Float32Array[]; labels: Int32Array } {
  const rng = new Rng(seed);
  const labels = Int32Array.from({ length: count }, () => Math.floor(rng.next() * CLASSES));
  const base = new Float32Array(count * CLASSES);
  const noise = new Float32Array(count);
  for (let row = 0; row < count; row += 1) {
    const hard = rng.next() < 0.3;
    noise[row] = hard ? 3 : 0.2;
    for (let c = 0; c < CLASSES; c += 1) base[row * CLASSES + c] = (c === labels[row] ? (hard ? 0.5 : 4) : 0) + (rng.next() - 0.5);
  }
  const logitsPerView = Array.from({ length: VIEWS }, () => base.map((value, k) => value + (rng.next() - 0.5) * noise[Math.floor(k / CLASSES)]));
  return { logitsPerView, labels };
}

function top(probabilities: Float32Array, row: number): number {
  let best = 0;
  for (let c = 1; c < CLASSES; c += 1) if (probabilities[row * CLASSES + c] > probabilities[row * CLASSES + best]) best = c;
  return best;
}

/** The share of rows whose adaptive answer (one view at or above `cut`) equals all views' answer. */
function agreementAt(cut: number, logitsPerView: Float32Array[], gateTemperature: number): number {
  const one = softmaxRows(logitsPerView[0], CLASSES, gateTemperature);
  const all = averageLogits(logitsPerView);
  const n = one.length / CLASSES;
  let agreeing = 0;
  for (let row = 0; row < n; row += 1) {
    const sure = one[row * CLASSES + top(one, row)] >= cut;
    if (!sure || top(one, row) === top(all, row)) agreeing += 1;
  }
  return agreeing / n;
}

test('without a review share to match, the cut is the lowest one-view confidence at which the answers agree with all views on 99.5% of the images', () => {
  const { logitsPerView, labels } = calibrationSet(2000, 3);
  const fitted = fitAdaptiveViews({ logitsPerView, labels, classes: CLASSES, gateTemperature: 1.3, inScope: Array.from(labels.keys()), maxAcceptedError: 0.05, reviewToMatch: REVIEW_ALL });
  assert.ok(agreementAt(0, logitsPerView, 1.3) < ADAPTIVE_AGREEMENT, 'the data must make one view alone disagree too often');
  assert.ok(fitted.agreement >= ADAPTIVE_AGREEMENT, `agreement ${fitted.agreement}`);
  assert.equal(fitted.agreement, agreementAt(fitted.cut, logitsPerView, 1.3));
  // Any lower cut (the next one-view confidence below it) falls short.
  const one = softmaxRows(logitsPerView[0], CLASSES, 1.3);
  const below = Math.max(...Array.from(labels.keys(), (row) => one[row * CLASSES + top(one, row)]).filter((c) => c < fitted.cut));
  assert.ok(agreementAt(below, logitsPerView, 1.3) < ADAPTIVE_AGREEMENT);
  assert.ok(fitted.extraViewShare > 0.05 && fitted.extraViewShare < 0.6, `extra views for ${fitted.extraViewShare}`);
  assert.equal(fitted.views, VIEWS);
  assert.equal(fitted.gateTemperature, 1.3);
});

test('the cut rises until the adaptive mode sends no larger a share to review than all views do', () => {
  const { logitsPerView, labels } = calibrationSet(2000, 3);
  const inScope = Array.from(labels.keys());
  const input = { logitsPerView, labels, classes: CLASSES, gateTemperature: 1.3, inScope, maxAcceptedError: 0.05 };
  const loose = fitAdaptiveViews({ ...input, reviewToMatch: REVIEW_ALL });
  // All views' own review choice on these images, under their own temperature.
  const all = softmaxRows(averageLogits(logitsPerView), CLASSES, 1);
  const tops = inScope.map((row) => ({ confidence: all[row * CLASSES + top(all, row)], correct: top(all, row) === labels[row] }));
  const allViews = chooseGuaranteedThreshold(tops.map((t) => t.confidence), tops.map((t) => t.correct), 0.05);
  const matched = fitAdaptiveViews({ ...input, reviewToMatch: allViews });
  assert.ok(loose.review.accepted < allViews.accepted, 'the data must make one view send more to review');
  assert.ok(matched.review.accepted >= allViews.accepted, `${matched.review.accepted} accepted against ${allViews.accepted}`);
  assert.ok(matched.cut > loose.cut && matched.extraViewShare > loose.extraViewShare);
  assert.ok(matched.agreement >= ADAPTIVE_AGREEMENT);
});

test('the review threshold keeps its guarantee on what the adaptive mode outputs', () => {
  const { logitsPerView, labels } = calibrationSet(3000, 5);
  const fitted = fitAdaptiveViews({ logitsPerView, labels, classes: CLASSES, gateTemperature: 1, inScope: Array.from(labels.keys()), maxAcceptedError: 0.03, reviewToMatch: REVIEW_ALL });
  assert.ok(fitted.review.supported);
  const unsure = rowsNeedingViews(logitsPerView[0], CLASSES, fitted);
  const many = averageLogits(logitsPerView);
  const manyRows = new Float32Array(unsure.length * CLASSES);
  unsure.forEach((row, i) => manyRows.set(many.subarray(row * CLASSES, (row + 1) * CLASSES), i * CLASSES));
  const probabilities = adaptiveProbabilities(logitsPerView[0], unsure, manyRows, CLASSES, fitted);
  let accepted = 0;
  let errors = 0;
  for (let row = 0; row < labels.length; row += 1) {
    if (probabilities[row * CLASSES + top(probabilities, row)] < fitted.review.threshold) continue;
    accepted += 1;
    if (top(probabilities, row) !== labels[row]) errors += 1;
  }
  assert.equal(accepted, fitted.review.accepted);
  assert.equal(errors, fitted.review.errors);
  assert.ok(fitted.review.errorUpperBound <= 0.03);
  assert.ok(fitted.eceAfter <= fitted.eceBefore + 1e-9, `ECE ${fitted.eceBefore} -> ${fitted.eceAfter}`);
});

test('sure rows answer from one view, the others from their averaged views, each under its own temperature', () => {
  const one = Float32Array.from([5, 0, 0, 0.2, 0, 0.1, 0, 3, 0]);
  const adaptive = { gateTemperature: 1, cut: 0.9, sureTemperature: 2, unsureTemperature: 0.5 };
  const unsure = rowsNeedingViews(one, CLASSES, adaptive);
  assert.deepEqual(unsure, [1]);
  const many = Float32Array.from([0, 2, 0]);
  const probabilities = adaptiveProbabilities(one, unsure, many, CLASSES, adaptive);
  assert.deepEqual(Array.from(probabilities.subarray(0, 3)), Array.from(softmaxRows(one.subarray(0, 3), CLASSES, 2)));
  assert.deepEqual(Array.from(probabilities.subarray(3, 6)), Array.from(softmaxRows(many, CLASSES, 0.5)));
  assert.throws(() => adaptiveProbabilities(one, unsure, new Float32Array(6), CLASSES, adaptive), WbcError);
});

test('scoring runs one view for every image, then the other views only for the unsure ones', async () => {
  const calls: { indices: number[]; views: number; firstView: number }[] = [];
  // Image i's logits: sure of class 0 for even i, unsure for odd i; each view adds its number to class 1.
  const predictor: Predictor = {
    engine: 'libtorch',
    async scoreViews(_pixels, indices, views, firstView = 0): Promise<ViewScores> {
      calls.push({ indices: Array.from(indices), views, firstView });
      const logitsPerView = Array.from({ length: views - firstView }, (_, i) => Float32Array.from(Array.from(indices).flatMap((index) => (index % 2 === 0 ? [6, firstView + i, 0] : [0.1, firstView + i, 0]))));
      return { classes: CLASSES, featureSize: 1, logitsPerView, features: Float32Array.from(indices) };
    },
    close: async () => undefined,
  };
  const adaptive = { views: 4, gateTemperature: 1, cut: 0.9, sureTemperature: 1, unsureTemperature: 1, review: { threshold: 0.5 } };
  const trust = { views: 'auto' as const, temperature: 1, reviewThreshold: 0.5, adaptive: adaptive as never };
  const scored = await scoreWithTrust(predictor, new Uint8Array(0), Int32Array.from([10, 11, 12, 13]), trust);
  // The unsure images' plain view is not scored twice.
  assert.deepEqual(calls, [{ indices: [10, 11, 12, 13], views: 1, firstView: 0 }, { indices: [11, 13], views: 4, firstView: 1 }]);
  // Odd images: the views' mean puts 1.5 on class 1, more than their 0.1 on class 0.
  assert.equal(top(scored.probabilities, 0), 0);
  assert.equal(top(scored.probabilities, 1), 1);
  assert.equal(top(scored.probabilities, 3), 1);
  assert.deepEqual(Array.from(scored.probabilities.subarray(3, 6)), Array.from(softmaxRows(Float32Array.from([0.1, 1.5, 0]), CLASSES, 1)));
  assert.equal(scored.outOfScopeScores, null);
});

const MODEL = {
  format: 'wbc-classifier-model', version: 1, classes: ['a', 'b', 'c'],
  network: { widths: [8, 16], convsPerStage: 1, classes: 3, dropout: 0 },
  input: { inputSize: 16, storedSize: 16, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] },
  testTimeViews: 8, reviewThreshold: 0.9,
};
const REVIEW = { threshold: 0.8, supported: true, maxAcceptedError: 0.02, accepted: 100, errors: 0, errorUpperBound: 0.0295, calibrationImages: 120 };
const VIEW = { temperature: 1.2, review: REVIEW, eceBefore: 0.05, eceAfter: 0.02 };
const ADAPTIVE = { views: 8, gateTemperature: 1.2, cut: 0.95, sureTemperature: 1.1, unsureTemperature: 1.3, review: { ...REVIEW, threshold: 0.85 }, eceBefore: 0.04, eceAfter: 0.02, agreement: 0.996, extraViewShare: 0.25 };
const calibrated = (adaptive?: object): ModelInfo => validateModelInfo({
  ...MODEL, calibration: { images: 120, maxAcceptedError: 0.02, byViews: { 1: VIEW, 2: VIEW, 4: VIEW, 8: VIEW }, ...(adaptive && { adaptive }) },
});

test('a model with adaptive calibration uses it by default; one without keeps its own views and refuses auto in one line', () => {
  const withAdaptive = trustFor(calibrated(ADAPTIVE), undefined);
  assert.equal(withAdaptive.views, 'auto');
  assert.equal(withAdaptive.reviewThreshold, 0.85);
  assert.equal(trustFor(calibrated(ADAPTIVE), undefined, 8).reviewThreshold, 0.8);
  const without = trustFor(calibrated(), undefined);
  assert.equal(without.views, 8);
  assert.equal(without.adaptive, undefined);
  assert.throws(() => trustFor(calibrated(), undefined, 'auto'), (error: unknown) => error instanceof WbcError && /--tta auto/.test(error.message));
});

test('model.json checks the adaptive record field by field', () => {
  assert.throws(() => calibrated({ ...ADAPTIVE, cut: 1.5 }), /calibration\.adaptive\.cut/);
  assert.throws(() => calibrated({ ...ADAPTIVE, views: 3 }), /calibration\.adaptive\.views/);
  const { unsureTemperature: _, ...missing } = ADAPTIVE;
  assert.throws(() => calibrated(missing), /calibration\.adaptive\.unsureTemperature is missing/);
});
