import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { wbc } from '../helpers/cli';
import { makeTempDir, touch, writeSolid } from '../helpers/images';

/** Paths of the files below `dir`, relative to it, with `/`, sorted. */
function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

test('wbc split writes the same test images that wbc train holds out', async () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const colours: Record<string, [number, number, number]> = { a: [250, 0, 0], b: [0, 250, 0] };
  for (const [name, colour] of Object.entries(colours)) {
    for (let i = 0; i < 15; i += 1) await writeSolid(path.join(data, name, `${name}${i}.png`), 20, 20, [colour[0], colour[1], (i * 17) % 256]);
  }
  const out = path.join(work, 'split');
  const split = wbc(['split', data, '--out', out, '--seed', '7', '--test-fraction', '0.2']);
  assert.equal(split.status, 0, split.stderr);
  const listed = (side: string) => filesBelow(path.join(out, side));
  assert.ok(listed('test').length > 0);
  assert.equal(listed('test').length + listed('train').length, 30);

  const model = path.join(work, 'model');
  const trained = wbc(['train', data, '--out', model, '--seed', '7', '--test-fraction', '0.2', '--size', '16', '--width', '4', '--epochs', '1', '--no-cache', '--tta', '1']);
  assert.equal(trained.status, 0, trained.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')).split;
  assert.deepEqual([...manifest.test].sort(), listed('test'));
  assert.deepEqual([...manifest.train, ...manifest.validation].sort(), listed('train'));

  const again = wbc(['split', data, '--out', out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /--force/);
});

test('wbc split keeps nested folders, keeps groups on one side, and moves nothing when the folder grows', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  for (const name of ['bands', 'blasts']) {
    for (let slide = 0; slide < 10; slide += 1) {
      // The same file names on every slide: a flat copy would overwrite them.
      for (let cell = 0; cell < 3; cell += 1) touch(path.join(data, name, `slide-${slide}`, `${cell}.jpg`), `${name} ${slide} ${cell}`);
    }
  }
  const args = ['--seed', '5', '--group-by', '^(slide-\\d+)/'];
  const first = path.join(work, 'first');
  assert.equal(wbc(['split', data, '--out', first, ...args]).status, 0);
  const sideOf = (out: string) => new Map(['train', 'test'].flatMap((side) => filesBelow(path.join(out, side)).map((file) => [file, side] as const)));
  const before = sideOf(first);
  assert.equal(before.size, 60);
  for (const [file, side] of before) {
    const slide = file.split('/')[1];
    for (const [other, otherSide] of before) if (other.split('/')[1] === slide) assert.equal(otherSide, side, `${slide} is split: ${file}, ${other}`);
  }

  // More slides, more cells on old slides, and a class that sorts first.
  for (let cell = 3; cell < 6; cell += 1) touch(path.join(data, 'bands', 'slide-0', `${cell}.jpg`), `bands 0 ${cell}`);
  for (let cell = 0; cell < 3; cell += 1) touch(path.join(data, 'bands', 'slide-10', `${cell}.jpg`), `bands 10 ${cell}`);
  for (let cell = 0; cell < 3; cell += 1) touch(path.join(data, 'aaa', 'slide-3', `${cell}.jpg`), `aaa 3 ${cell}`);
  const second = path.join(work, 'second');
  assert.equal(wbc(['split', data, '--out', second, ...args]).status, 0);
  const after = sideOf(second);
  assert.equal(after.size, 69);
  for (const [file, side] of before) assert.equal(after.get(file), side, `${file} moved`);
  // A new cell of an old slide joins its slide's side; the new class's slide-3 goes where slide-3 went.
  assert.equal(after.get('bands/slide-0/5.jpg'), before.get('bands/slide-0/0.jpg'));
  assert.equal(after.get('aaa/slide-3/0.jpg'), before.get('bands/slide-3/0.jpg'));
});
