import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { IMAGE_EXTENSIONS, listImages, requireClasses, scanImageFolder } from '../../src/data/image-folder';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, touch } from '../helpers/images';

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

  it('warns about non-image files, empty class folders, nested folders and loose files', () => {
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
      'bands: 1 sub-folder was skipped (images must be directly in the class folder)',
      'basophil: 1 file is not an image and was skipped',
      'basophil: no images, so it is not used as a class',
    ]);
    assert.deepEqual(
      folder.images.map((image) => image.label),
      [0, 1],
    );
  });

  it('survives link loops: folder cycles are skipped, and image-named broken links are kept for decoding to report', () => {
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
      'cells: 1 sub-folder was skipped (images must be directly in the class folder)',
      'itself: 2 sub-folders were skipped (images must be directly in the class folder)',
      'itself: no images, so it is not used as a class',
    ]);
    assert.deepEqual(listImages(path.join(root, 'cells')).map((file) => path.basename(file)), ['a.png', 'dangling.png', 'linked.png', 'loop.png']);
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
  it('lists images directly in the folder in natural order, skipping hidden and non-image files', () => {
    const dir = makeTempDir();
    for (const name of ['10.jpg', '2.jpg', '1.PNG', 'cell-9.tif', 'cell-11.tif', '.5.jpg', 'notes.txt']) {
      touch(path.join(dir, name));
    }
    touch(path.join(dir, 'nested', '3.jpg'));
    assert.deepEqual(
      listImages(dir),
      ['1.PNG', '2.jpg', '10.jpg', 'cell-9.tif', 'cell-11.tif'].map((name) => path.join(dir, name)),
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
