import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scanImageFolder } from '../../src/data/image-folder';
import { pathInJoinedFolder, splitJoinedFolders } from '../../src/data/joined-split';
import { scanNonWhiteFolder } from '../../src/data/non-white-folder';
import { stableSplit, type SplitSettings } from '../../src/data/split';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, touch } from '../helpers/images';

const SETTINGS: SplitSettings = { seed: 3, testFraction: 0.2, validationFraction: 0.1 };

/** A folder with `counts[name]` empty image files per class: splitting reads names, never pixels. */
function makeFolder(root: string, counts: Record<string, number>): string {
  for (const [name, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i += 1) touch(path.join(root, name, `cell-${i}.jpg`));
  }
  return root;
}

describe('splitJoinedFolders', () => {
  const white = scanImageFolder(makeFolder(makeTempDir(), { bands: 40, lymphocytes: 30 }));
  const nonWhite = scanImageFolder(makeFolder(makeTempDir(), { erythroblasts: 25, platelets: 20 }));

  it('with one folder, gives exactly stableSplit', () => {
    const joined = splitJoinedFolders([white], SETTINGS);
    assert.deepEqual(joined.sides, stableSplit(white, SETTINGS));
    assert.deepEqual(joined.classes, white.classes);
    assert.deepEqual(joined.labels, white.images.map((image) => image.label));
  });

  it('puts the second folder\'s classes after the first\'s and every image on the side it has alone', () => {
    const joined = splitJoinedFolders([white, nonWhite], SETTINGS);
    assert.deepEqual(joined.classes, ['bands', 'lymphocytes', 'erythroblasts', 'platelets']);
    const alone = stableSplit(nonWhite, SETTINGS);
    const offset = white.images.length;
    for (const side of ['train', 'validation', 'test'] as const) {
      assert.deepEqual(joined.sides[side].filter((index) => index < offset), stableSplit(white, SETTINGS)[side], side);
      assert.deepEqual(joined.sides[side].filter((index) => index >= offset), alone[side].map((index) => index + offset), side);
    }
    assert.ok(alone.test.length > 0 && alone.train.length > 0);
    assert.equal(joined.labels[offset], 2);
    assert.equal(pathInJoinedFolder(joined, offset), path.join('erythroblasts', 'cell-0.jpg'));
    assert.equal(pathInJoinedFolder(joined, 0), path.join('bands', 'cell-0.jpg'));
  });
});

describe('scanNonWhiteFolder', () => {
  it('refuses a kind named like a white class, in one line', () => {
    const dir = makeFolder(makeTempDir(), { lymphocytes: 2, platelets: 2 });
    assert.throws(() => scanNonWhiteFolder(dir, ['bands', 'lymphocytes']), (error: Error) => error instanceof WbcError
      && /lymphocytes is also a white-cell class/.test(error.message) && !error.message.includes('\n'));
  });

  it('refuses a folder without kinds', () => {
    assert.throws(() => scanNonWhiteFolder(makeTempDir(), ['bands']), WbcError);
  });

  it('accepts distinct kinds', () => {
    const dir = makeFolder(makeTempDir(), { erythroblasts: 2, platelets: 2 });
    assert.deepEqual(scanNonWhiteFolder(dir, ['bands', 'lymphocytes']).classes, ['erythroblasts', 'platelets']);
  });
});
