import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { wbc } from '../helpers/cli';
import { parseCsv } from '../../src/classify/csv';
import { makeLabelledFolder, makeNonWhiteFolder, makeTempDir } from '../helpers/images';

// Enough epochs that the tiny network tells the tints apart, so that classify names non-white kinds.
const RUN = ['--size', '16', '--width', '4', '--epochs', '8', '--no-cache', '--tta', '1', '--threads', '1'];

function readInfo(model: string) {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
}

describe('wbc train --non-white', () => {
  const work = makeTempDir();
  const white = path.join(work, 'white');
  const nonWhite = path.join(work, 'non-white');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(white, 12);
    await makeNonWhiteFolder(nonWhite, 12);
    const trained = wbc(['train', white, '--non-white', nonWhite, '--out', model, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  test('adds the kinds as the last classes, marked nonWhite, and splits them like the white images', () => {
    const info = readInfo(model);
    assert.deepEqual(info.classes, ['blue', 'green', 'red', 'erythroblasts', 'platelets']);
    assert.deepEqual(info.nonWhite, ['erythroblasts', 'platelets']);
    assert.equal(info.network.classes, 5);
    const kinds = (files: string[]) => new Set(files.map((file) => file.split(path.sep)[0]));
    for (const side of ['train', 'test'] as const) assert.deepEqual(kinds(info.split[side]), new Set(info.classes), side);
    for (const side of ['train', 'validation', 'test'] as const) assert.equal(info.split.contentHashes[side].length, info.split[side].length);
    assert.deepEqual(Object.keys(info.data.imagesPerClass), info.classes);
    const described = wbc(['info', model]);
    assert.match(described.stdout, /non-white: +erythroblasts, platelets \(/);
  });

  test('the same seed puts the white images on the same sides as training without --non-white', () => {
    const plain = path.join(work, 'plain');
    const trained = wbc(['train', white, '--out', plain, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
    const info = readInfo(plain);
    assert.equal(info.nonWhite, undefined);
    assert.ok(!('nonWhite' in info));
    assert.doesNotMatch(wbc(['info', plain]).stdout, /non-white/);
    const withKinds = readInfo(model);
    const whiteOnly = (files: string[]) => files.filter((file) => !/^(erythroblasts|platelets)\//.test(file));
    for (const side of ['train', 'validation', 'test'] as const) assert.deepEqual(whiteOnly(withKinds.split[side]), info.split[side], side);
  });

  test('wbc calibrate needs the non-white folder too, and then refits what training fitted', () => {
    const copy = path.join(work, 'recalibrated');
    fs.cpSync(model, copy, { recursive: true });
    const refused = wbc(['calibrate', copy, white, '--force', '--no-cache', '--threads', '1']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /wbc calibrate: .* was trained with non-white kinds \(erythroblasts, platelets\); give their folder with --non-white\n$/);
    const calibrated = wbc(['calibrate', copy, white, '--non-white', nonWhite, '--force', '--no-cache', '--threads', '1']);
    assert.equal(calibrated.status, 0, calibrated.stderr);
    assert.match(calibrated.stdout, /refitted from them: [\d.]+ \(model\.json: [\d.]+, the same\)/);
  });

  test('evaluate --split test on the non-white folder scores exactly its held-out images', () => {
    const heldOut = readInfo(model).split.test.filter((file: string) => /^(erythroblasts|platelets)\//.test(file));
    assert.ok(heldOut.length > 0);
    const evaluated = wbc(['evaluate', model, nonWhite, '--split', 'test', '--no-cache', '--threads', '1']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stdout, new RegExp(`Scored ${heldOut.length} images`));
  });

  test('classify names non-white kinds in the CSV and counts them apart from the differential', () => {
    const cells = path.join(work, 'cells');
    for (const folder of [white, nonWhite]) fs.cpSync(folder, cells, { recursive: true });
    const out = path.join(work, 'predictions.csv');
    const classified = wbc(['classify', model, cells, '--out', out, '--threads', '1']);
    assert.equal(classified.status, 0, classified.stderr);
    const [header, ...rows] = parseCsv(fs.readFileSync(out, 'utf8'));
    const predicted = rows.map((row) => row[header.indexOf('prediction')]);
    const count = (kind: string) => predicted.filter((name) => name === kind).length;
    assert.ok(count('erythroblasts') + count('platelets') > 0, 'the model names no non-white kind');
    const differential = new Map(parseCsv(fs.readFileSync(path.join(work, 'predictions-differential.csv'), 'utf8')).map((row) => [row[0], row]));
    assert.equal(differential.get('total')![1], String(rows.length - count('erythroblasts') - count('platelets')));
    assert.equal(differential.get('erythroblasts')![1], String(count('erythroblasts')));
    assert.equal(differential.get('platelets')![1], String(count('platelets')));
    assert.match(classified.stdout, /not white cells, not in the differential:\n  erythroblasts/);
  });

  test('evaluate says how many white cells were called non-white and the reverse', () => {
    const both = path.join(work, 'both');
    for (const folder of [white, nonWhite]) fs.cpSync(folder, both, { recursive: true });
    const json = path.join(work, 'scores.json');
    const rowsFile = path.join(work, 'evaluated.csv');
    const evaluated = wbc(['evaluate', model, both, '--json', json, '--predictions', rowsFile, '--no-cache', '--threads', '1']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const [header, ...rows] = parseCsv(fs.readFileSync(rowsFile, 'utf8'));
    const isNonWhite = (name: string) => name === 'erythroblasts' || name === 'platelets';
    const truth = (row: string[]) => row[header.indexOf('true_class')];
    const predicted = (row: string[]) => row[header.indexOf('prediction')];
    const whiteCalledNonWhite = rows.filter((row) => !isNonWhite(truth(row)) && isNonWhite(predicted(row))).length;
    const nonWhiteCalledWhite = rows.filter((row) => isNonWhite(truth(row)) && !isNonWhite(predicted(row))).length;
    const { nonWhite: crossings, classes } = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.deepEqual(classes, ['blue', 'green', 'red', 'erythroblasts', 'platelets']);
    assert.deepEqual([crossings.whiteCells, crossings.nonWhiteCells], [36, 24]);
    assert.equal(crossings.whiteCalledNonWhite, whiteCalledNonWhite);
    assert.equal(crossings.nonWhiteCalledWhite, nonWhiteCalledWhite);
    assert.ok(crossings.nonWhiteCalledWhiteUnreviewed <= nonWhiteCalledWhite);
    assert.match(evaluated.stdout, new RegExp(`white cells called non-white: ${whiteCalledNonWhite} of 36`));
    assert.match(evaluated.stdout, new RegExp(`non-white cells called white: ${nonWhiteCalledWhite} of 24 .*, ${crossings.nonWhiteCalledWhiteUnreviewed} of them without a review flag`));
  });

  test('bad non-white folders are one-line errors', () => {
    const clashing = path.join(work, 'clashing');
    fs.cpSync(path.join(nonWhite, 'platelets'), path.join(clashing, 'red'), { recursive: true });
    for (const [folder, message] of [[clashing, /red is also a white-cell class/], [path.join(work, 'missing'), /no such folder/]] as const) {
      const trained = wbc(['train', white, '--non-white', folder, '--out', path.join(work, 'refused'), ...RUN]);
      assert.equal(trained.status, 1);
      assert.match(trained.stderr, message);
      assert.equal(trained.stderr.trim().split('\n').length, 1, trained.stderr);
      assert.ok(!fs.existsSync(path.join(work, 'refused')));
    }
  });

  test('a model.json whose nonWhite kinds are not its last classes is refused', () => {
    const edited = path.join(work, 'edited');
    fs.cpSync(model, edited, { recursive: true });
    fs.writeFileSync(path.join(edited, 'model.json'), JSON.stringify({ ...readInfo(model), nonWhite: ['red'] }));
    const described = wbc(['info', edited]);
    assert.equal(described.status, 1);
    assert.match(described.stderr, /nonWhite must list the last classes/);
  });
});
