import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { IMAGE_EXTENSIONS, listImages, requireClasses, scanImageFolder, scanImages } from '../../src/data/image-folder';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, touch } from '../helpers/images';
import { withoutPermissionOverride } from '../helpers/unprivileged';

describe('scanImageFolder', () => {
  it('takes classes from sub-folders in code-point order and images sorted by path', () => {
    const root = makeTempDir();
    touch(path.join(root, 'basophil', 'b.jpg'));
    touch(path.join(root, 'basophil', 'a.jpg'));
    touch(path.join(root, 'Lymphocyte', 'x.png'));
    touch(path.join(root, 'eosinophil', 'e.png'));
    const folder = scanImageFolder(root);
    // Code-point order puts upper case first, whatever the machine's locale would say.
    assert.deepEqual(folder.classes, ['Lymphocyte', 'basophil', 'eosinophil']);
    assert.equal(folder.root, path.resolve(root));
    assert.deepEqual(folder.images, [
      { path: path.join(root, 'Lymphocyte', 'x.png'), label: 0 },
      { path: path.join(root, 'basophil', 'a.jpg'), label: 1 },
      { path: path.join(root, 'basophil', 'b.jpg'), label: 1 },
      { path: path.join(root, 'eosinophil', 'e.png'), label: 2 },
    ]);
    assert.deepEqual(folder.warnings, []);
  });

  it('matches extensions case-insensitively and ignores hidden files and folders silently', () => {
    const root = makeTempDir();
    for (const name of ['a.JPG', 'b.Png', 'c.TIFF', 'd.jpeg', 'e.tif', 'f.bmp', '.hidden.jpg', '.DS_Store']) {
      touch(path.join(root, 'cells', name));
    }
    touch(path.join(root, '.thumbnails', 'x.jpg'));
    const folder = scanImageFolder(root);
    assert.deepEqual(folder.classes, ['cells']);
    assert.deepEqual(
      folder.images.map((image) => path.basename(image.path)),
      ['a.JPG', 'b.Png', 'c.TIFF', 'd.jpeg', 'e.tif', 'f.bmp'],
    );
    assert.deepEqual(folder.warnings, []);
    assert.deepEqual([...IMAGE_EXTENSIONS], ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp']);
  });

  it('warns about non-image files, empty class folders and loose files', () => {
    const root = makeTempDir();
    touch(path.join(root, 'bands', 'one.jpg'));
    touch(path.join(root, 'bands', 'notes.txt'));
    touch(path.join(root, 'bands', 'labels.csv'));
    touch(path.join(root, 'bands', 'one.jpg.bak'));
    touch(path.join(root, 'bands', 'more', 'two.jpg'));
    touch(path.join(root, 'basophil', 'readme.md'));
    touch(path.join(root, 'monocyte', 'm.png'));
    touch(path.join(root, 'stray.jpg'));
    const folder = scanImageFolder(root);
    assert.deepEqual(folder.classes, ['bands', 'monocyte']);
    assert.deepEqual(folder.warnings, [
      `${root}: 1 file is not in a class sub-folder and was ignored`,
      'bands: 3 files are not images and were skipped',
      'basophil: 1 file is not an image and was skipped',
      'basophil: no images, so it is not used as a class',
    ]);
    assert.deepEqual(
      folder.images.map((image) => [path.relative(root, image.path), image.label]),
      [[path.join('bands', 'more', 'two.jpg'), 0], [path.join('bands', 'one.jpg'), 0], [path.join('monocyte', 'm.png'), 1]],
    );
  });

  it('reads a class folder recursively: slides and patients below the class', () => {
    const root = makeTempDir();
    touch(path.join(root, 'blasts', 'patient-2', 'slide-b', '1.jpg'));
    touch(path.join(root, 'blasts', 'patient-2', 'slide-a', '1.jpg'));
    touch(path.join(root, 'blasts', 'patient-10', '1.jpg'));
    touch(path.join(root, 'blasts', 'top.png'));
    touch(path.join(root, 'blasts', 'patient-2', '.hidden', 'x.jpg'));
    touch(path.join(root, 'neutrophils', 'n.jpg'));
    const folder = scanImageFolder(root);
    assert.deepEqual(folder.classes, ['blasts', 'neutrophils']);
    assert.deepEqual(folder.images.map((image) => path.relative(root, image.path).split(path.sep).join('/')), [
      'blasts/patient-10/1.jpg', 'blasts/patient-2/slide-a/1.jpg', 'blasts/patient-2/slide-b/1.jpg', 'blasts/top.png', 'neutrophils/n.jpg',
    ]);
    assert.deepEqual(folder.warnings, []);
  });

  it('survives link loops: folder cycles are reported and not followed, and image-named broken links are kept for decoding to report', () => {
    const root = makeTempDir();
    touch(path.join(root, 'cells', 'a.png'));
    fs.symlinkSync('.', path.join(root, 'itself')); // the root inside itself
    fs.symlinkSync('..', path.join(root, 'cells', 'parent')); // a class folder containing its parent
    fs.symlinkSync('loop.png', path.join(root, 'cells', 'loop.png'));
    fs.symlinkSync('gone.png', path.join(root, 'cells', 'dangling.png'));
    fs.symlinkSync('a.png', path.join(root, 'cells', 'linked.png'));
    const folder = scanImageFolder(root);
    assert.deepEqual(folder.classes, ['cells']);
    assert.deepEqual(folder.images.map((image) => path.basename(image.path)), ['a.png', 'dangling.png', 'linked.png', 'loop.png']);
    assert.deepEqual(folder.warnings, [
      `cells/parent: not followed: a loop of symbolic links back to ${root}`,
      `itself: not followed: a loop of symbolic links back to ${root}`,
      'itself: no images, so it is not used as a class',
    ]);
    const cells = path.join(root, 'cells');
    const unlabelled = scanImages(cells);
    assert.deepEqual(unlabelled.files.map((file) => path.basename(file)), ['a.png', 'dangling.png', 'linked.png', 'loop.png']);
    // cells/parent leads to the top folder, read once; from there, both links lead back up.
    assert.deepEqual(unlabelled.warnings, [
      `${cells}/parent/cells: not followed: a loop of symbolic links back to ${cells}`,
      `${cells}/parent/itself: not followed: a loop of symbolic links back to ${cells}/parent`,
    ]);
  });

  it('reads a folder reached by two links once, and says so', () => {
    const root = makeTempDir();
    touch(path.join(root, 'cells', 'slide', 'a.png'));
    fs.symlinkSync('slide', path.join(root, 'cells', 'second-link'));
    const folder = scanImageFolder(root);
    assert.deepEqual(folder.images.map((image) => path.basename(image.path)), ['a.png']);
    assert.deepEqual(folder.warnings, ['cells/slide: not read again: the same folder as cells/second-link']);
  });

  it('refuses a missing path, a file, and a folder without class sub-folders', () => {
    const root = makeTempDir();
    const missing = path.join(root, 'nope');
    assert.throws(() => scanImageFolder(missing), new WbcError(`no such folder: ${missing}`));
    const file = touch(path.join(root, 'file.jpg'));
    assert.throws(() => scanImageFolder(file), new WbcError(`${file} is not a folder`));
    const flat = path.join(root, 'flat');
    touch(path.join(flat, 'a.jpg'));
    touch(path.join(flat, 'empty', '.keep'));
    assert.throws(
      () => scanImageFolder(flat),
      new WbcError(`${flat} has no class sub-folders with images (expected ${flat}/<class>/<image>)`),
    );
  });
});

describe('an unreadable sub-folder', () => {
  it('is reported and skipped, and the rest is read', () => {
    const root = makeTempDir();
    fs.chmodSync(root, 0o755);
    touch(path.join(root, 'cells', 'a.png'));
    touch(path.join(root, 'cells', 'locked', 'b.png'));
    touch(path.join(root, 'other', 'c.png'));
    fs.chmodSync(path.join(root, 'cells', 'locked'), 0o000);
    const expected = {
      images: ['cells/a.png', 'other/c.png'],
      warnings: ['cells/locked: cannot read this folder (EACCES), skipped'],
    };
    const probe = `const f = require(${JSON.stringify(require.resolve('../../src/data/image-folder'))}).scanImageFolder(${JSON.stringify(root)});`
      + `console.log(JSON.stringify({ images: f.images.map((i) => require('node:path').relative(f.root, i.path)), warnings: f.warnings }))`;
    const child = spawnSync(...withoutPermissionOverride(process.execPath, ['-e', probe]), { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), expected);
  });
});

describe('requireClasses', () => {
  it('names the classes found when there are too few', () => {
    const root = makeTempDir();
    touch(path.join(root, 'bands', 'a.jpg'));
    const folder = scanImageFolder(root);
    assert.throws(
      () => requireClasses(folder, 2),
      new WbcError(`training needs at least 2 classes; ${folder.root} has only 'bands'`),
    );
    touch(path.join(root, 'blasts', 'a.jpg'));
    assert.doesNotThrow(() => requireClasses(scanImageFolder(root), 2));
  });
});

describe('listImages', () => {
  it('lists images in the folder and its sub-folders in natural order, skipping hidden and non-image files', () => {
    const dir = makeTempDir();
    for (const name of ['10.jpg', '2.jpg', '1.PNG', 'cell-9.tif', 'cell-11.tif', '.5.jpg', 'notes.txt']) {
      touch(path.join(dir, name));
    }
    touch(path.join(dir, 'slide-10', '3.jpg'));
    touch(path.join(dir, 'slide-2', '3.jpg'));
    touch(path.join(dir, 'slide-2', '.hidden', '3.jpg'));
    assert.deepEqual(
      listImages(dir),
      ['1.PNG', '2.jpg', '10.jpg', 'cell-9.tif', 'cell-11.tif', 'slide-2/3.jpg', 'slide-10/3.jpg'].map((name) => path.join(dir, name)),
    );
  });

  it('refuses a missing folder and a folder without images', () => {
    const dir = makeTempDir();
    assert.throws(() => listImages(path.join(dir, 'nope')), /^WbcError: no such folder: /);
    touch(path.join(dir, 'notes.txt'));
    assert.throws(() => listImages(dir), (error: unknown) => {
      assert.ok(error instanceof WbcError);
      assert.match(error.message, /has no images/);
      return true;
    });
  });
});
