import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { clopperPearsonUpper } from '../../src/trust/clopper-pearson';
import { expectedCalibrationError, reliabilityBins } from '../../src/trust/ece';
import { chooseGuaranteedThreshold, fewestImagesFor, REVIEW_EVERYTHING } from '../../src/trust/review-threshold';
import { softmaxRows } from '../../src/model/views';
import { fitTemperature } from '../../src/trust/temperature';
import { Rng } from '../../src/util/rng';
import { WbcError } from '../../src/util/errors';

test('the temperature fit recovers the temperature that generated the labels', () => {
  const rng = new Rng(7);
  const classes = 5;
  const count = 20000;
  for (const trueTemperature of [0.5, 2.5]) {
    const logits = new Float32Array(count * classes);
    for (let i = 0; i < logits.length; i += 1) logits[i] = (rng.next() - 0.5) * 8;
    const probabilities = softmaxRows(logits, classes, trueTemperature);
    const labels = Int32Array.from({ length: count }, (_, row) => {
      let u = rng.next();
      for (let c = 0; c < classes - 1; c += 1) {
        u -= probabilities[row * classes + c];
        if (u < 0) return c;
      }
      return classes - 1;
    });
    const fitted = fitTemperature(logits, labels, classes);
    assert.ok(Math.abs(fitted - trueTemperature) / trueTemperature < 0.05, `fitted ${fitted} for ${trueTemperature}`);
  }
});

test('softmax rows sum to 1 and a higher temperature flattens them without changing the top class', () => {
  const logits = Float32Array.from([2, 0, -1, 1, 3, 0]);
  const sharp = softmaxRows(logits, 3, 1);
  const flat = softmaxRows(logits, 3, 4);
  for (const rows of [sharp, flat]) {
    assert.ok(Math.abs(rows[0] + rows[1] + rows[2] - 1) < 1e-6);
    assert.ok(rows[0] > rows[1] && rows[4] > rows[3]);
  }
  assert.ok(flat[0] < sharp[0] && flat[4] < sharp[4]);
});

test('ECE over 15 equal-width bins matches a hand computation', () => {
  // 0.9 falls in bin 13 (two predictions, one right: gap 0.4), 0.6 in bin 9 (two right: gap 0.4).
  assert.ok(Math.abs(expectedCalibrationError([0.9, 0.9, 0.6, 0.6], [true, false, true, true]) - 0.4) < 1e-12);
  // Bin 14 holds [14/15, 1] including 1: 0.95 and 1.0 → mean 0.975, accuracy 0.5; 0.5 in bin 7 right: gap 0.5.
  const ece = expectedCalibrationError([0.95, 1, 0.5], [true, false, true]);
  assert.ok(Math.abs(ece - ((2 / 3) * 0.475 + (1 / 3) * 0.5)) < 1e-12, String(ece));
  const bins = reliabilityBins([0.95, 1, 0.5], [true, false, true]);
  assert.equal(bins.length, 15);
  assert.deepEqual([bins[14].count, bins[7].count], [2, 1]);
  assert.equal(expectedCalibrationError([], []), 0);
});

test('the one-sided 95% Clopper–Pearson upper bound matches hand-computed values', () => {
  // 0 errors in 300: 1 − 0.05^(1/300).
  assert.ok(Math.abs(clopperPearsonUpper(0, 300) - (1 - 0.05 ** (1 / 300))) < 1e-9);
  assert.ok(Math.abs(clopperPearsonUpper(0, 300) - 0.0099) < 5e-5);
  // 5 of 100: the 95% quantile of Beta(6, 95) = 0.10225.
  assert.ok(Math.abs(clopperPearsonUpper(5, 100) - 0.10225) < 5e-5);
  assert.equal(clopperPearsonUpper(100, 100), 1);
  assert.equal(clopperPearsonUpper(0, 0), 1);
  assert.throws(() => clopperPearsonUpper(5, 4), WbcError);
});

test('the review threshold is the lowest confidence whose accepted errors stay under the bound', () => {
  // 300 right at 0.99: bound 0.0099. Adding 49 right and 1 wrong at 0.8: 1 of 350, bound 0.01348 (Beta(2, 349) 95% quantile).
  // Adding 50 wrong at 0.6 breaks it. With a 1.5% target the threshold is 0.8; with 1%, 0.99.
  const confidences = [...new Array<number>(300).fill(0.99), ...new Array<number>(50).fill(0.8), ...new Array<number>(50).fill(0.6)];
  const correct = [...new Array<boolean>(349).fill(true), false, ...new Array<boolean>(50).fill(false)];
  const choice = chooseGuaranteedThreshold(confidences, correct, 0.015);
  assert.deepEqual([choice.threshold, choice.supported, choice.accepted, choice.errors], [0.8, true, 350, 1]);
  assert.ok(Math.abs(choice.errorUpperBound - 0.013482) < 1e-5);
  assert.equal(chooseGuaranteedThreshold(confidences, correct, 0.01).threshold, 0.99);
});

test('too few calibration images to support the target reviews everything', () => {
  // 0 errors in 100 still has a bound of 2.95%: no threshold supports 1.5%.
  const choice = chooseGuaranteedThreshold(new Array<number>(100).fill(0.99), new Array<boolean>(100).fill(true), 0.015);
  assert.deepEqual([choice.threshold, choice.supported], [REVIEW_EVERYTHING, false]);
  assert.equal(fewestImagesFor(0.015), 199);
  assert.equal(chooseGuaranteedThreshold(new Array<number>(199).fill(0.99), new Array<boolean>(199).fill(true), 0.015).supported, true);
  assert.equal(chooseGuaranteedThreshold(new Array<number>(198).fill(0.99), new Array<boolean>(198).fill(true), 0.015).supported, false);
});
