import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trustUnderScheme } from '../../src/classifier/scheme-trust';
import type { ModelInfo } from '../../src/model/model-folder';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { encodeCalibrationScores } from '../../src/trust/calibration-scores';
import type { Trust } from '../../src/trust/trust-model';
import { makeTempDir } from '../helpers/images';

const CLASSES = ['a1', 'a2', 'b'];
const PAIRED = { name: 'paired', categories: [{ name: 'a', classes: ['a1', 'a2'] }, { name: 'b', classes: ['b'] }] };
const TRUST: Trust = { views: 1, temperature: 1, reviewThreshold: 0.9 };

/** A model folder holding only calibration scores: 400 images, a1 and a2 confused with each other, b always right. */
function modelWithScores(): { dir: string; info: ModelInfo } {
  const dir = makeTempDir();
  const n = 400;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const logits = new Float32Array(n * 3);
  labels.forEach((label, i) => {
    if (label === 2) logits[i * 3 + 2] = 8;
    else logits.set([4 + (i % 7) * 0.1, 4, -4], i * 3); // a1 a little above a2: a2 images are wrong class by class
  });
  const { info: calibrationScores, bytes } = encodeCalibrationScores({ classes: 3, logitsPerView: [logits], labels, outOfScopeScores: new Float32Array(n) });
  fs.writeFileSync(path.join(dir, calibrationScores.file), bytes);
  const info = { classes: CLASSES, calibration: { maxAcceptedError: 0.02 }, calibrationScores } as unknown as ModelInfo;
  return { dir, info };
}

test('class by class at the model\'s target, or with a threshold given, the model\'s threshold stands and nothing is read', () => {
  const info = { classes: CLASSES, calibration: { maxAcceptedError: 0.02 } } as unknown as ModelInfo;
  assert.deepEqual(trustUnderScheme('/nowhere', info, TRUST, chooseScheme('nine', CLASSES)), { trust: TRUST });
  assert.deepEqual(trustUnderScheme('/nowhere', info, TRUST, chooseScheme(PAIRED, CLASSES), { reviewThreshold: 0.5 }), { trust: TRUST });
});

test('a scheme or another target without calibration scores is one line that says how to make them', () => {
  const info = { classes: CLASSES, calibration: { maxAcceptedError: 0.02 } } as unknown as ModelInfo;
  assert.throws(() => trustUnderScheme('m', info, TRUST, chooseScheme(PAIRED, CLASSES)), /^WbcError: scheme paired needs a review threshold of its own, .*run `wbc calibrate m <the labelled folder it was trained on>` once, or retrain$/);
  assert.throws(() => trustUnderScheme('m', info, TRUST, chooseScheme('nine', CLASSES), { maxAcceptedError: 0.05 }), /^WbcError: a review target of 0.05 needs/);
});

test('a scheme gets its own threshold from the kept scores; a damaged file is refused', () => {
  const { dir, info } = modelWithScores();
  const paired = trustUnderScheme(dir, info, TRUST, chooseScheme(PAIRED, CLASSES));
  assert.ok(paired.review?.supported);
  assert.equal(paired.review?.errors, 0, 'a1/a2 confusions are right at the category level');
  assert.equal(paired.trust.reviewThreshold, paired.review?.threshold);
  const nine = trustUnderScheme(dir, info, TRUST, chooseScheme('nine', CLASSES), { maxAcceptedError: 0.4 });
  assert.ok(nine.review && nine.review.maxAcceptedError === 0.4 && nine.review.errors > 0);
  fs.appendFileSync(path.join(dir, info.calibrationScores!.file), 'x');
  assert.throws(() => trustUnderScheme(dir, info, TRUST, chooseScheme(PAIRED, CLASSES)), /calibration-scores\.bin \(the calibration scores\) does not match model\.json; the model folder is damaged/);
});
