import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { hasStackTrace, wbc } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const RUN = ['--size', '16', '--width', '4', '--epochs', '2', '--no-cache', '--tta', '1', '--threads', '1'];
const CLASSES = ['blue', 'green', 'red'];

describe('nested folders', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(data, 12);
    const trained = wbc(['train', data, '--out', model, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  test('three slides classify into one CSV with relative paths and three per-folder differentials; a link loop is reported', () => {
    const slides = path.join(work, 'slides');
    const perSlide: Record<string, number> = { 'slide-1': 4, 'slide-2': 6, 'slide-10': 5 };
    for (const [slide, count] of Object.entries(perSlide)) {
      for (let i = 0; i < count; i += 1) {
        const colour = CLASSES[i % 3];
        fs.mkdirSync(path.join(slides, slide), { recursive: true });
        fs.copyFileSync(path.join(data, colour, `${i}.png`), path.join(slides, slide, `${i}.png`));
      }
    }
    fs.symlinkSync('..', path.join(slides, 'slide-2', 'back-up'));

    const csv = path.join(work, 'slides.csv');
    const classified = wbc(['classify', model, slides, '--out', csv, '--per-folder', '--threads', '1']);
    assert.equal(classified.status, 0, classified.stderr);
    assert.ok(!hasStackTrace(classified.stderr));
    assert.match(classified.stderr, new RegExp(`warning: ${slides}/slide-2/back-up: not followed: a loop of symbolic links back to ${slides}`));

    const rows = parseCsv(fs.readFileSync(csv, 'utf8')).slice(1);
    const expectedFiles = Object.entries(perSlide).flatMap(([slide, count]) => Array.from({ length: count }, (_, i) => `${slide}/${i}.png`));
    // Natural order: slide-2 before slide-10.
    assert.deepEqual(rows.map((row) => row[0]), [...expectedFiles].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));

    const differential = parseCsv(fs.readFileSync(path.join(work, 'slides-differential.csv'), 'utf8'));
    assert.deepEqual(differential[0], ['class', 'count', 'percent', 'folder']);
    const blocks = new Map<string, string[][]>();
    for (const row of differential.slice(1)) blocks.set(row[3], [...(blocks.get(row[3]) ?? []), row]);
    assert.deepEqual([...blocks.keys()], ['(all)', 'slide-1/', 'slide-2/', 'slide-10/']);
    const count = (block: string[][], name: string) => Number(block.find((row) => row[0] === name)![1]);
    for (const [folder, block] of blocks) {
      assert.deepEqual(block.map((row) => row[0]), [...CLASSES, 'total', 'needs_review'], folder);
      const predicted = rows.filter((row) => folder === '(all)' || row[0].startsWith(folder));
      assert.equal(count(block, 'total'), predicted.length, folder);
      for (const name of CLASSES) assert.equal(count(block, name), predicted.filter((row) => row[1] === name).length, `${folder} ${name}`);
    }
    // The overall block is the differential that --per-folder leaves out, row for row.
    const plain = path.join(work, 'plain.csv');
    assert.equal(wbc(['classify', model, slides, '--out', plain, '--threads', '1']).status, 0);
    const plainDifferential = parseCsv(fs.readFileSync(path.join(work, 'plain-differential.csv'), 'utf8'));
    assert.deepEqual(differential.slice(0, plainDifferential.length).map((row) => row.slice(0, 3)), plainDifferential);
  });

  test('a labelled folder with slides below each class trains and evaluates with paths relative to it', () => {
    const nested = path.join(work, 'nested');
    for (const name of CLASSES) {
      for (let i = 0; i < 12; i += 1) {
        const target = path.join(nested, name, `slide-${i % 3}`, `${i}.png`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(data, name, `${i}.png`), target);
      }
    }
    const nestedModel = path.join(work, 'nested-model');
    const trained = wbc(['train', nested, '--out', nestedModel, '--group-by', '^slide-\\d+', ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
    const info = JSON.parse(fs.readFileSync(path.join(nestedModel, 'model.json'), 'utf8'));
    assert.equal(info.split.groupBy, '^slide-\\d+');
    const all = [...info.split.train, ...info.split.validation, ...info.split.test];
    assert.equal(all.length, 36);
    for (const file of all) assert.match(file, /^(blue|green|red)\/slide-\d\/\d+\.png$/);
    const evaluated = wbc(['evaluate', nestedModel, nested, '--split', 'test', '--no-cache', '--threads', '1']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stdout, new RegExp(`Scored ${info.split.test.length} images`));
  });
});
