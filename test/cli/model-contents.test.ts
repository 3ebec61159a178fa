import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, test } from 'node:test';
import { wbc } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const RUN = ['--size', '16', '--width', '4', '--epochs', '2', '--no-cache', '--tta', '1', '--threads', '1'];

function readInfo(model: string) {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
}

/** Every file below `dir`, as bytes. */
function filesIn(dir: string): { file: string; bytes: Buffer }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .map((file) => ({ file, bytes: fs.readFileSync(file) }));
}

/**
 * The text in a LibTorch archive (a zip): its entry names and every entry but the tensors' raw bytes, where
 * any short word turns up by chance.
 */
function archiveText(zip: Buffer): string {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'weights.pt is not a zip archive');
  const parts: string[] = [];
  let entry = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i += 1) {
    const [method, size, nameLength] = [zip.readUInt16LE(entry + 10), zip.readUInt32LE(entry + 20), zip.readUInt16LE(entry + 28)];
    const name = zip.toString('latin1', entry + 46, entry + 46 + nameLength);
    parts.push(name);
    if (!/\/data\/\d+$/.test(name)) {
      const local = zip.readUInt32LE(entry + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const stored = zip.subarray(start, start + size);
      parts.push((method === 8 ? zlib.inflateRawSync(stored) : stored).toString('latin1'));
    }
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  return parts.join('\n');
}

function containsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9])${escaped}($|[^A-Za-z0-9])`).test(text);
}

describe('what a model folder holds', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(data, 12);
    // A file that cannot be decoded, so that data.skipped has an entry to check.
    fs.writeFileSync(path.join(data, 'red', 'broken.png'), 'not an image');
    const trained = wbc(['train', data, '--out', model, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  test('no absolute path, user name or host name anywhere in it', () => {
    const files = filesIn(model);
    assert.deepEqual(files.map(({ file }) => path.basename(file)).sort(), ['calibration-scores.bin', 'confusion-matrix.svg', 'model.json', 'out-of-scope.bin', 'weights.pt']);
    const folders = [data, work, os.tmpdir(), fs.realpathSync(work), process.cwd(), os.homedir()];
    const names = [os.userInfo().username, os.hostname()];
    for (const { file, bytes } of files) {
      const text = file.endsWith('.pt') ? archiveText(bytes) : bytes.toString('utf8');
      for (const folder of folders) assert.equal(bytes.indexOf(folder), -1, `${path.basename(file)} contains '${folder}'`);
      for (const name of [...folders, ...names]) assert.ok(!containsWord(text, name), `${path.basename(file)} contains '${name}'`);
    }
    // The search sees the archive's text: its code and the names of what it holds.
    const weights = archiveText(fs.readFileSync(path.join(model, 'weights.pt')));
    assert.ok(containsWord(weights, 'running_mean') && containsWord(weights, 'data.pkl'));
    const info = readInfo(model);
    assert.equal(info.data.root, undefined);
    assert.deepEqual(info.data.skipped.map((entry: { path: string }) => entry.path), [path.join('red', 'broken.png')]);
    assert.match(info.data.skipped[0].reason, /^red\/broken\.png: not a readable image/);
  });

  test('records how the split was made, with content hashes parallel to the file lists', () => {
    const { split } = readInfo(model);
    assert.equal(split.method, 'sha256-interval-v1');
    assert.equal(split.groupBy, null);
    assert.deepEqual([split.seed, split.testFraction, split.validationFraction], [1, 0.2, 0.1]);
    for (const side of ['train', 'validation', 'test']) {
      assert.equal(split.contentHashes[side].length, split[side].length, side);
      for (const hash of split.contentHashes[side]) assert.match(hash, /^[0-9a-f]{16}$/);
    }
  });

  test('evaluate recognises training images by content in a copied or linked folder', () => {
    const { split } = readInfo(model);
    const copied = path.join(work, 'copied');
    fs.cpSync(data, copied, { recursive: true });
    const linked = path.join(work, 'linked');
    fs.symlinkSync(data, linked);
    const trainedOn = split.train.length + split.validation.length;
    for (const folder of [data, copied, linked]) {
      const evaluated = wbc(['evaluate', model, folder, '--no-cache', '--threads', '1']);
      assert.equal(evaluated.status, 0, evaluated.stderr);
      assert.match(evaluated.stderr, new RegExp(`warning: ${trainedOn} of these images were used to train the model \\(recognised by their content\\)`), folder);
    }
    // Only the test images, in a folder laid out differently: found by content, and no warning about training images.
    const reorganised = path.join(work, 'reorganised');
    for (const file of split.test) {
      const target = path.join(reorganised, path.dirname(file), 'slide-1', `renamed-${path.basename(file)}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(path.join(data, file), target);
    }
    const evaluated = wbc(['evaluate', model, reorganised, '--split', 'test', '--no-cache', '--threads', '1']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stderr, new RegExp(`found ${split.test.length} of the model's ${split.test.length} test images by their content`));
    assert.doesNotMatch(evaluated.stderr, /used to train/);
    assert.match(evaluated.stdout, new RegExp(`Scored ${split.test.length} images`));
  });

  test('an older model folder, with data.root and no split method or hashes, still loads and works', () => {
    const old = path.join(work, 'old-model');
    fs.cpSync(model, old, { recursive: true });
    const info = readInfo(old);
    const { method, groupBy, contentHashes, ...split } = info.split;
    assert.ok(method && groupBy === null && contentHashes);
    fs.writeFileSync(path.join(old, 'model.json'), JSON.stringify({ ...info, data: { root: data, ...info.data }, split }));

    const described = wbc(['info', old]);
    assert.equal(described.status, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`data: +${data} \\(`));
    const evaluated = wbc(['evaluate', old, data, '--no-cache', '--threads', '1']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    // Without hashes, training images are recognised by path in the folder the model names.
    assert.match(evaluated.stderr, new RegExp(`warning: ${split.train.length + split.validation.length} of these images were used to train the model, so`));
    const tested = wbc(['evaluate', old, data, '--split', 'test', '--no-cache', '--threads', '1']);
    assert.equal(tested.status, 0, tested.stderr);
    assert.match(tested.stdout, new RegExp(`Scored ${split.test.length} images`));
    const classified = wbc(['classify', old, path.join(data, 'red'), '--out', path.join(work, 'old.csv'), '--threads', '1']);
    assert.equal(classified.status, 0, classified.stderr);
  });

  test('a scheme works from the calibration scores training kept; an older model gets them with wbc calibrate', async () => {
    // Enough images for a validation split of a few per class.
    const data = path.join(work, 'data-40');
    const model = path.join(work, 'model-40');
    await makeLabelledFolder(data, 40);
    // --tta auto (the default; RUN asks for 1): the adaptive mode is recorded, for wbc calibrate to remake below.
    const trained = wbc(['train', data, '--out', model, ...RUN.map((arg, i) => (RUN[i - 1] === '--tta' ? 'auto' : arg)), '--validation-fraction', '0.3']);
    assert.equal(trained.status, 0, trained.stderr);
    assert.ok(readInfo(model).calibrationScores.images > 10);
    const schemeFile = path.join(work, 'warm-cold.json');
    fs.writeFileSync(schemeFile, JSON.stringify({ categories: { warm: ['red', 'green'], cold: { classes: ['blue'], loinc: '12345-6' } } }));
    const csv = path.join(work, 'scheme.csv');
    const classified = wbc(['classify', model, data, '--scheme', schemeFile, '--out', csv, '--threads', '1', '--engine', 'libtorch']);
    assert.equal(classified.status, 0, classified.stderr);
    assert.match(classified.stdout, /review threshold fitted for scheme warm-cold\.json/);
    const [header, ...rows] = fs.readFileSync(csv, 'utf8').trim().split('\n');
    assert.ok(header.endsWith(',blue,green,red,group,group_confidence'), header);
    assert.ok(rows.every((row) => /,(warm|cold),[01]\.\d{4}$/.test(row)), rows[0]);
    assert.match(fs.readFileSync(path.join(work, 'scheme-differential.csv'), 'utf8'), /^category,class,count,percent,ci_low,ci_high,loinc\nwarm,,\d+,[\d.]+,[\d.]+,[\d.]+,\nwarm,red,\d+,.*\nwarm,green,\d+,.*\ncold,,\d+,[\d.]+,[\d.]+,[\d.]+,12345-6\ncold,blue,\d+,/);

    // A model from before the scores were kept: told what to do in one line, then given them.
    const older = path.join(work, 'before-schemes');
    fs.cpSync(model, older, { recursive: true });
    const { calibrationScores, ...info } = readInfo(older);
    // ...and from before adaptive test-time views.
    const { adaptive, ...calibration } = info.calibration;
    assert.ok(adaptive, 'training with --tta auto records the adaptive mode');
    fs.rmSync(path.join(older, calibrationScores.file));
    fs.writeFileSync(path.join(older, 'model.json'), JSON.stringify({ ...info, calibration }));
    assert.equal(wbc(['info', older]).stdout.includes('adaptive'), false);
    const refused = wbc(['classify', older, data, '--scheme', schemeFile, '--out', path.join(work, 'refused.csv'), '--threads', '1']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^\n?wbc classify: scheme warm-cold\.json needs a review threshold of its own, .* run `wbc calibrate .*before-schemes <the labelled folder it was trained on>` once, or retrain\n$/);
    const calibrated = wbc(['calibrate', older, data, '--no-cache', '--threads', '1']);
    assert.equal(calibrated.status, 0, calibrated.stderr);
    assert.match(calibrated.stdout, /, the same\)/, 'the refitted class-level threshold is training\'s');
    assert.deepEqual(readInfo(older).calibrationScores, calibrationScores);
    // The adaptive mode, fitted on the same scores, is training's own.
    assert.deepEqual(readInfo(older).calibration.adaptive, adaptive);
    assert.match(calibrated.stdout, /adaptive test-time views \(--tta auto, now the default\)/);
    assert.deepEqual(fs.readFileSync(path.join(older, calibrationScores.file)), fs.readFileSync(path.join(model, calibrationScores.file)));
    const again = wbc(['calibrate', older, data, '--no-cache', '--threads', '1']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already has its calibration scores \(calibration-scores\.bin\); add --force/);
    const elsewhere = wbc(['calibrate', older, path.join(data, 'red'), '--force', '--no-cache', '--threads', '1']);
    assert.equal(elsewhere.status, 1);
    assert.match(elsewhere.stderr, /of the model's \d+ validation images are not in .*red; give the labelled folder it was trained on\n$/);
  });
});
