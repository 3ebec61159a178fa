import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { differentialCount, differentialCsv } from '../../src/classify/differential';
import { differentialsByFolder, perFolderCsv, perFolderDifferentialCsv } from '../../src/classify/per-folder';
import { schemeDifferential, schemeDifferentialCsv } from '../../src/classify/scheme-differential';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import type { Prediction } from '../../src/classify/predictions';

const CLASSES = ['lymphocyte', 'neutrophil'];

function prediction(file: string, className: string, needsReview = false): Prediction {
  return { file, prediction: className, confidence: 0.9, second: CLASSES.find((c) => c !== className)!, secondConfidence: 0.1, needsReview, outOfScopeScore: null, outOfScope: false, probabilities: [0.9, 0.1], group: className, groupConfidence: 0.9 };
}

const predictions = [
  prediction('top.png', 'lymphocyte'),
  prediction('slide-1/a.png', 'lymphocyte'),
  prediction('slide-1/b.png', 'neutrophil', true),
  prediction('patient/slide-2/a.png', 'neutrophil'),
];

test('one differential per folder, in the order the folders appear, with `./` for images at the top', () => {
  const perFolder = differentialsByFolder(predictions, CLASSES);
  assert.deepEqual(perFolder.map((entry) => entry.folder), ['./', 'slide-1/', 'patient/slide-2/']);
  assert.deepEqual(perFolder.map((entry) => entry.differential.rows.map((row) => row.count)), [[1, 0], [1, 1], [0, 1]]);
  assert.deepEqual(perFolder.map((entry) => entry.differential.needsReview), [0, 1, 0]);
});

test('the per-folder CSV starts with the whole folder\'s rows, then each folder\'s, marked in a last column', () => {
  const overall = differentialCount(predictions, CLASSES);
  const rows = parseCsv(perFolderDifferentialCsv(overall, differentialsByFolder(predictions, CLASSES)));
  const plain = parseCsv(differentialCsv(overall));
  assert.deepEqual(rows[0], [...plain[0], 'folder']);
  assert.deepEqual(rows.slice(1, plain.length), plain.slice(1).map((row) => [...row, '(all)']));
  const slide1 = rows.filter((row) => row[row.length - 1] === 'slide-1/');
  assert.deepEqual(slide1.map((row) => row.slice(0, 3)), [['lymphocyte', '1', '50.0'], ['neutrophil', '1', '50.0'], ['total', '2', '100.0'], ['needs_review', '1', '50.0'], ['out_of_scope', '0', '0.0']]);
  assert.equal(rows.length, 1 + 4 * plain.slice(1).length);
});

test('under a scheme the per-folder CSV has the scheme differential\'s rows for the whole folder, then each folder\'s', () => {
  const scheme = chooseScheme({ name: 'all', categories: [{ name: 'white cells', classes: CLASSES }] }, CLASSES);
  const inScheme = predictions.map((p) => ({ ...p, group: 'white cells', probabilities: p.prediction === CLASSES[0] ? [0.9, 0.1] : [0.1, 0.9] }));
  const { csv, folders } = perFolderCsv(inScheme, CLASSES, scheme);
  const rows = parseCsv(csv);
  const plain = parseCsv(schemeDifferentialCsv(schemeDifferential(inScheme, CLASSES, scheme)));
  assert.equal(folders, 3);
  assert.deepEqual(rows[0], [...plain[0], 'folder']);
  assert.deepEqual(rows.slice(1, plain.length), plain.slice(1).map((row) => [...row, '(all)']));
  const slide1 = rows.filter((row) => row[row.length - 1] === 'slide-1/');
  assert.deepEqual(slide1.slice(0, 3).map((row) => row.slice(0, 4)), [['white cells', '', '2', '100.0'], ['white cells', 'lymphocyte', '1', '50.0'], ['white cells', 'neutrophil', '1', '50.0']]);
  assert.equal(rows.length, 1 + 4 * plain.slice(1).length);
  const nine = perFolderCsv(predictions, CLASSES, chooseScheme('nine', CLASSES));
  assert.equal(nine.csv, perFolderDifferentialCsv(differentialCount(predictions, CLASSES), differentialsByFolder(predictions, CLASSES)), 'nine: the class-by-class file');
});
