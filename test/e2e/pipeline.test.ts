import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { hasStackTrace, wbc } from '../helpers/cli';
import { DATA, LABELLED, UNLABELLED, requireData, skipWithoutData } from '../helpers/data';
import { makeTempDir } from '../helpers/images';

const CLASSES = ['bands', 'basophils', 'blasts', 'eosinophils', 'lymphocytes', 'metamyelocytes', 'monocytes', 'myelocytes', 'neutrophils'];

test('train, evaluate, classify and info on a subset of the real data', { skip: skipWithoutData(LABELLED, UNLABELLED) }, () => {
  requireData(LABELLED, UNLABELLED);
  const work = makeTempDir();
  const model = path.join(work, 'model');

  // A small, short run: 80 images per class, a narrow network at 48 px, 12 epochs.
  const trained = wbc(['train', LABELLED, '--out', model, '--max-per-class', '80', '--epochs', '12', '--width', '8', '--size', '48', '--tta', '2']);
  assert.equal(trained.status, 0, trained.stderr);
  assert.ok(!hasStackTrace(trained.stderr));
  for (const file of ['model.json', 'weights.pt', 'confusion-matrix.svg', 'out-of-scope.bin']) assert.ok(fs.existsSync(path.join(model, file)), file);
  const modelJson = fs.readFileSync(path.join(model, 'model.json'), 'utf8');
  for (const local of [DATA, fs.realpathSync(DATA), work]) assert.ok(!modelJson.includes(local), `model.json names ${local}`);
  const info = JSON.parse(modelJson);
  assert.deepEqual(info.classes, CLASSES);
  const train = new Set<string>(info.split.train);
  for (const file of [...info.split.validation, ...info.split.test]) assert.ok(!train.has(file), `${file} is in two splits`);
  assert.equal(info.split.train.length + info.split.validation.length + info.split.test.length, 80 * CLASSES.length);

  const json = path.join(work, 'scores.json');
  const reliability = path.join(work, 'reliability.svg');
  const evaluated = wbc(['evaluate', model, LABELLED, '--split', 'test', '--json', json, '--reliability', reliability]);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const scores = JSON.parse(fs.readFileSync(json, 'utf8'));
  for (const key of ['accuracy', 'balancedAccuracy', 'macroF1', 'classes', 'confusionMatrix', 'perClass', 'ece']) assert.ok(key in scores, key);
  assert.ok(scores.ece >= 0 && scores.ece <= 1);
  for (const key of ['threshold', 'flagged', 'acceptedAccuracy', 'acceptedErrorUpperBound']) assert.equal(typeof scores.review[key], 'number', key);
  assert.match(fs.readFileSync(reliability, 'utf8'), /<svg[^]*class="bar"/);
  assert.equal(scores.confusionMatrix.length, CLASSES.length);
  const scored = scores.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0);
  assert.equal(scored, info.split.test.length);
  for (const name of CLASSES) {
    for (const key of ['precision', 'recall', 'f1', 'support']) assert.equal(typeof scores.perClass[name][key], 'number');
  }
  // Chance is 1 in 9 (11%); even this tiny model must do far better.
  assert.ok(scores.accuracy > 0.4, `test accuracy ${scores.accuracy}`);
  assert.equal(scores.accuracy, info.testMetrics.accuracy, 'evaluate --split test reproduces the training report');

  const csv = path.join(work, 'predictions.csv');
  const classified = wbc(['classify', model, UNLABELLED, '--out', csv]);
  assert.equal(classified.status, 0, classified.stderr);
  const rows = parseCsv(fs.readFileSync(csv, 'utf8'));
  assert.deepEqual(rows[0], ['file', 'prediction', 'confidence', 'second', 'second_confidence', 'needs_review', 'out_of_scope_score', 'out_of_scope', ...CLASSES, 'group', 'group_confidence']);
  const images = fs.readdirSync(UNLABELLED).filter((f) => /\.jpe?g$/i.test(f));
  assert.equal(rows.length - 1, images.length);
  for (const row of rows.slice(1)) {
    assert.ok(CLASSES.includes(row[1]));
    const probabilities = row.slice(8, 8 + CLASSES.length).map(Number);
    assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 0.01);
    assert.ok(Number(row[2]) >= Number(row[4]));
    assert.ok(Number.isFinite(Number(row[6])) && row[6] !== '');
    assert.ok(['true', 'false'].includes(row[7]));
    // Out of scope always means review.
    if (row[7] === 'true') assert.equal(row[5], 'true');
  }
  const differential = parseCsv(fs.readFileSync(path.join(work, 'predictions-differential.csv'), 'utf8'));
  assert.deepEqual(differential.slice(1, 1 + CLASSES.length).map((row) => row[0]), CLASSES);
  assert.match(classified.stdout, /needs review/i);
  assert.match(classified.stdout, /out of scope: \d+/);

  // A model folder from before calibration (no calibration, no out-of-scope file) still classifies, and says so once.
  const old = path.join(work, 'old-model');
  fs.mkdirSync(old);
  fs.copyFileSync(path.join(model, 'weights.pt'), path.join(old, 'weights.pt'));
  const { calibration: _c, outOfScope: _o, ...olderInfo } = info;
  fs.writeFileSync(path.join(old, 'model.json'), JSON.stringify(olderInfo));
  const oldCsv = path.join(work, 'old.csv');
  const oldRun = wbc(['classify', old, UNLABELLED, '--out', oldCsv]);
  assert.equal(oldRun.status, 0, oldRun.stderr);
  assert.equal(oldRun.stderr.match(/predates calibration/g)?.length, 1, oldRun.stderr);
  const oldRows = parseCsv(fs.readFileSync(oldCsv, 'utf8'));
  assert.equal(oldRows.length - 1, images.length);
  for (const row of oldRows.slice(1)) {
    assert.deepEqual(row.slice(6, 8), ['', '']);
    assert.equal(row[5], String(Number(row[2]) < info.reviewThreshold));
  }

  const described = wbc(['info', model]);
  assert.equal(described.status, 0, described.stderr);
  assert.match(described.stdout, /test scores: +accuracy/);
  assert.match(described.stdout, /temperature [\d.]+/);
  assert.match(described.stdout, /out of scope: /);
});
