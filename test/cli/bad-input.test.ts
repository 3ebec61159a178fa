import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { parseCsv } from '../../src/classify/csv';
import { makeLabelledFolder, makeTempDir, touch, writeImage, writeSolid } from '../helpers/images';

// A tiny, quick model: 16 px input, 4 channels, 2 epochs.
const QUICK = ['--size', '16', '--width', '4', '--epochs', '2', '--no-cache', '--tta', '1'];

describe('bad input gets a one-line error, never a stack trace', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(data);
    // Files that must be skipped and listed, while training goes on.
    touch(path.join(data, 'red', 'empty.jpg'));
    touch(path.join(data, 'green', 'notes.png'), 'this is text, not a picture');
    const jpeg = fs.readFileSync(path.join(data, 'blue', '0.png'));
    touch(path.join(data, 'blue', 'truncated.png'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    fs.mkdirSync(path.join(data, 'empty-class'));
    const trained = wbc(['train', data, '--out', model, ...QUICK]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  test('unreadable training images are listed as skipped and an empty class folder is named', () => {
    const info = JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
    assert.deepEqual(info.classes, ['blue', 'green', 'red']);
    const skipped = info.data.skipped.map((s: { path: string }) => path.basename(s.path)).sort();
    assert.deepEqual(skipped, ['empty.jpg', 'notes.png', 'truncated.png']);
  });

  test('a missing folder', () => {
    assertCleanFailure(wbc(['train', path.join(work, 'nowhere'), '--out', path.join(work, 'm2')]), /no such folder/);
    assertCleanFailure(wbc(['classify', model, path.join(work, 'nowhere')]), /no such folder/);
  });

  test('a single-class folder cannot train', () => {
    const single = path.join(work, 'single');
    fs.cpSync(path.join(data, 'red'), path.join(single, 'red'), { recursive: true });
    assertCleanFailure(wbc(['train', single, '--out', path.join(work, 'm3'), ...QUICK]), /at least 2 classes/);
    assert.ok(!fs.existsSync(path.join(work, 'm3', 'model.json')));
  });

  test('a folder that is not a model', () => {
    const notModel = path.join(work, 'not-a-model');
    fs.mkdirSync(notModel);
    for (const args of [['evaluate', notModel, data], ['classify', notModel, path.join(data, 'red')], ['info', notModel]]) {
      assertCleanFailure(wbc(args), /not a model folder/);
    }
    touch(path.join(notModel, 'model.json'), '{ broken');
    assertCleanFailure(wbc(['info', notModel]), /not valid JSON/);
  });

  test('an existing model folder is not replaced without --force', () => {
    const before = fs.readFileSync(path.join(model, 'weights.pt'));
    assertCleanFailure(wbc(['train', data, '--out', model, ...QUICK]), /already exists.*--force/);
    assert.deepEqual(fs.readFileSync(path.join(model, 'weights.pt')), before);
  });

  test('classes the model never saw are named', () => {
    const other = path.join(work, 'other');
    fs.cpSync(path.join(data, 'red'), path.join(other, 'purple'), { recursive: true });
    assertCleanFailure(wbc(['evaluate', model, other]), /purple, which it was not trained on/);
  });

  test('bad options and unknown commands', () => {
    assertCleanFailure(wbc(['train', data, '--epochs', 'many']), /--epochs must be a whole number/);
    assertCleanFailure(wbc(['train', data, '--bogus']), /Unknown option '--bogus'/);
    assertCleanFailure(wbc(['train']), /expected <labelled-dir>/);
    assertCleanFailure(wbc(['classify', model, data, '--out', path.join(work, 'x.txt')]), /must name a \.csv file/);
    assertCleanFailure(wbc(['evaluate', model, data, '--tta', '3']), /--tta must be one of 1, 2, 4, 8, auto, got 3/);
    assertCleanFailure(wbc(['frobnicate']), /unknown command 'frobnicate'/);
  });

  test('a folder with no images to classify leaves no output behind', () => {
    const emptyDir = path.join(work, 'nothing');
    fs.mkdirSync(emptyDir);
    const out = path.join(work, 'nothing.csv');
    assertCleanFailure(wbc(['classify', model, emptyDir, '--out', out]), /no images/);
    assert.ok(!fs.existsSync(out));
  });

  test('unreadable files among unlabelled images are skipped, listed, and the rest classified', () => {
    const images = path.join(work, 'unlabelled');
    fs.cpSync(path.join(data, 'red'), images, { recursive: true });
    const out = path.join(work, 'predictions.csv');
    const result = wbc(['classify', model, images, '--out', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /skipped: .*empty\.jpg/);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(rows.length, 1 + 10);
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.endsWith('.tmp')), []);
  });

  test('odd file names and images of any size or channel count are classified; a dash-led folder goes after --', async () => {
    const images = path.join(work, '-odd images');
    await writeSolid(path.join(images, 'with space.png'), 30, 30, [200, 60, 60]);
    await writeSolid(path.join(images, 'Zelle ß 細胞.png'), 30, 30, [60, 200, 60]);
    await writeSolid(path.join(images, '-dash.png'), 30, 30, [60, 60, 200]);
    await writeSolid(path.join(images, 'comma, "quoted".png'), 30, 30, [60, 60, 200]);
    await writeImage(path.join(images, 'gray-8x8.png'), 8, 8, () => [128]);
    await writeImage(path.join(images, 'rgba-wide.png'), 90, 20, () => [200, 60, 60, 128]);
    const out = path.join(work, 'odd.csv');
    assertCleanFailure(wbc(['classify', model, '-odd images', '--out', out], {}, work), /Unknown option '-o'.*after '--'/);
    const result = wbc(['classify', model, '--out', out, '--', '-odd images'], {}, work);
    assert.equal(result.status, 0, result.stderr);
    const names = parseCsv(fs.readFileSync(out, 'utf8')).slice(1).map((row) => row[0]).sort();
    // A leading '-' gets an apostrophe in the CSV, so that spreadsheets do not run the name as a formula.
    assert.deepEqual(names, ["'-dash.png", 'Zelle ß 細胞.png', 'comma, "quoted".png', 'gray-8x8.png', 'rgba-wide.png', 'with space.png']);
  });

  test('bad calibration and review options', () => {
    assertCleanFailure(wbc(['classify', model, path.join(data, 'red'), '--out', path.join(work, 'p.csv'), '--always-review', 'purple']), /cannot always review purple/);
    assertCleanFailure(wbc(['evaluate', model, data, '--reliability', path.join(work, 'r.gif')]), /--reliability must name a \.svg or \.png/);
    assertCleanFailure(wbc(['train', data, '--out', path.join(work, 'm4'), '--max-accepted-error', '2', ...QUICK]), /--max-accepted-error must be a number above 0 and below 1, got 2/);
    assertCleanFailure(wbc(['train', data, '--out', path.join(work, 'm4'), '--out-of-scope-rate', '0', ...QUICK]), /--out-of-scope-rate must be a number above 0 and below 1, got 0/);
  });

  test('--help prints usage and succeeds', () => {
    for (const command of ['train', 'evaluate', 'classify', 'split', 'info', 'export']) {
      const result = wbc([command, '--help']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, new RegExp(`Usage: wbc ${command}`));
    }
  });

  test('--scheme is described from the same column as the options around it', () => {
    const descriptionColumn = (help: string, option: string) => {
      const line = help.split('\n').find((l) => l.startsWith(`  ${option} `));
      assert.ok(line, `${option} in the help`);
      return /^ {2}--\S+(?: \S+)? +/.exec(line)![0].length;
    };
    for (const [command, neighbour] of [['classify', '--out'], ['evaluate', '--json']]) {
      const help = wbc([command, '--help']).stdout;
      assert.equal(descriptionColumn(help, '--scheme'), descriptionColumn(help, neighbour), command);
    }
  });
});
