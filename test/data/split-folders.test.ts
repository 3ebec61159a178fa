import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scanImageFolder } from '../../src/data/image-folder';
import { writeSplitFolders } from '../../src/data/split-folders';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, touch } from '../helpers/images';

/** A folder of two classes with three images each; image i has content `image i`. */
function makeSource(dir: string) {
  const root = path.join(dir, 'source');
  ['a1.jpg', 'a2.jpg', 'a3.jpg'].forEach((name, i) => touch(path.join(root, 'alpha', name), `image ${i}`));
  ['b1.png', 'b2.png', 'b3.png'].forEach((name, i) => touch(path.join(root, 'beta', name), `image ${i + 3}`));
  return scanImageFolder(root);
}

function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => entry.split(path.sep).join('/'))
    .sort();
}

describe('writeSplitFolders', () => {
  it('copies train and test images into class folders, keeping names and content', async () => {
    const dir = makeTempDir();
    const folder = makeSource(dir);
    const outDir = path.join(dir, 'split');
    const counts = await writeSplitFolders(folder, { train: [0, 1, 3, 4], test: [2, 5] }, outDir);
    assert.deepEqual(counts, { train: 4, test: 2 });
    assert.deepEqual(tree(outDir), [
      'test',
      'test/alpha',
      'test/alpha/a3.jpg',
      'test/beta',
      'test/beta/b3.png',
      'train',
      'train/alpha',
      'train/alpha/a1.jpg',
      'train/alpha/a2.jpg',
      'train/beta',
      'train/beta/b1.png',
      'train/beta/b2.png',
    ]);
    assert.equal(fs.readFileSync(path.join(outDir, 'test', 'beta', 'b3.png'), 'utf8'), 'image 5');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['source', 'split']);
  });

  it('refuses a non-empty outDir unless forced, and replaces it when forced', async () => {
    const dir = makeTempDir();
    const folder = makeSource(dir);
    const outDir = path.join(dir, 'split');
    touch(path.join(outDir, 'keep-me.txt'), 'precious');
    await assert.rejects(
      () => writeSplitFolders(folder, { train: [0, 3], test: [1, 4] }, outDir),
      new WbcError(`${outDir} already exists and is not empty (use --force to replace it)`),
    );
    assert.deepEqual(tree(outDir), ['keep-me.txt']);

    assert.deepEqual(await writeSplitFolders(folder, { train: [0, 3], test: [1, 4] }, outDir, { force: true }), {
      train: 2,
      test: 2,
    });
    assert.ok(!fs.existsSync(path.join(outDir, 'keep-me.txt')));
    assert.ok(fs.existsSync(path.join(outDir, 'train', 'beta', 'b1.png')));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['source', 'split']);
  });

  it('accepts an existing empty outDir', async () => {
    const dir = makeTempDir();
    const folder = makeSource(dir);
    const outDir = path.join(dir, 'empty');
    fs.mkdirSync(outDir);
    assert.deepEqual(await writeSplitFolders(folder, { train: [0], test: [3] }, outDir), { train: 1, test: 1 });
    assert.ok(fs.existsSync(path.join(outDir, 'test', 'beta', 'b1.png')));
  });

  it('leaves neither outDir nor a partial folder behind when copying fails', async () => {
    const dir = makeTempDir();
    const folder = makeSource(dir);
    const outDir = path.join(dir, 'split');
    fs.rmSync(folder.images[4].path);
    await assert.rejects(() => writeSplitFolders(folder, { train: [0, 1, 3, 4], test: [2, 5] }, outDir), /^WbcError: cannot write the split to /);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['source']);
  });

  it('refuses an outDir inside or around the image folder', async () => {
    const dir = makeTempDir();
    const folder = makeSource(dir);
    await assert.rejects(() => writeSplitFolders(folder, { train: [0], test: [3] }, path.join(folder.root, 'split')), /overlaps the image folder/);
    await assert.rejects(() => writeSplitFolders(folder, { train: [0], test: [3] }, dir, { force: true }), /overlaps the image folder/);
    assert.ok(fs.existsSync(folder.images[0].path));
  });
});
