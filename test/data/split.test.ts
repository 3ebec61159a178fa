import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scanImageFolder, type ImageFolder } from '../../src/data/image-folder';
import { sideAt, splitPosition, stableSplit, stableSubset, type Side, type SplitSettings } from '../../src/data/split';
import { WbcError } from '../../src/util/errors';
import { makeTempDir, touch } from '../helpers/images';

const SETTINGS: SplitSettings = { seed: 3, testFraction: 0.2, validationFraction: 0.1 };

/** A folder with `counts[name]` empty image files per class: splitting reads names, never pixels. */
function makeFolder(root: string, counts: Record<string, number>, prefix = 'cell'): string {
  for (const [name, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i += 1) touch(path.join(root, name, `${prefix}-${i}.jpg`));
  }
  return root;
}

/** Each image's side, by its path relative to the data folder. */
function sidesByPath(folder: ImageFolder, settings: SplitSettings = SETTINGS): Map<string, Side> {
  const sides = stableSplit(folder, settings);
  const result = new Map<string, Side>();
  for (const side of ['train', 'validation', 'test'] as const) {
    for (const index of sides[side]) result.set(path.relative(folder.root, folder.images[index].path), side);
  }
  return result;
}

function countsByClass(folder: ImageFolder, indices: number[]): number[] {
  const counts = folder.classes.map(() => 0);
  for (const index of indices) counts[folder.images[index].label] += 1;
  return counts;
}

describe('stableSplit', () => {
  it('puts every image on exactly one side, indices ascending', () => {
    const folder = scanImageFolder(makeFolder(makeTempDir(), { a: 50, b: 30, c: 7 }));
    const { train, validation, test } = stableSplit(folder, SETTINGS);
    assert.deepEqual([...train, ...validation, ...test].sort((x, y) => x - y), folder.images.map((_, i) => i));
    for (const side of [train, validation, test]) assert.deepEqual(side, [...side].sort((x, y) => x - y));
  });

  it('moves no image between sides when images and classes are added, removed or renamed', () => {
    const root = makeFolder(makeTempDir(), { bands: 120, eosinophils: 90, monocytes: 60 });
    const before = sidesByPath(scanImageFolder(root));

    makeFolder(root, { bands: 40, monocytes: 25 }, 'new'); // more images in two classes
    makeFolder(root, { aaa: 30, zzz: 30 }); // new classes that sort before and after the others
    for (let i = 0; i < 20; i += 1) fs.rmSync(path.join(root, 'eosinophils', `cell-${i}.jpg`)); // some removed
    for (let i = 20; i < 30; i += 1) fs.renameSync(path.join(root, 'eosinophils', `cell-${i}.jpg`), path.join(root, 'eosinophils', `renamed-${i}.jpg`));
    const after = sidesByPath(scanImageFolder(root));

    let kept = 0;
    for (const [file, side] of before) {
      if (!after.has(file)) continue;
      kept += 1;
      assert.equal(after.get(file), side, `${file} moved from ${side} to ${after.get(file)}`);
    }
    assert.equal(kept, 120 + 60 + 90 - 30);
    assert.equal(after.size, 120 + 40 + (90 - 20) + 60 + 25 + 30 + 30);
  });

  it('gives the same sides for the same seed and other sides for another seed', () => {
    const folder = scanImageFolder(makeFolder(makeTempDir(), { a: 100, b: 100 }));
    assert.deepEqual(stableSplit(folder, SETTINGS), stableSplit(folder, { ...SETTINGS }));
    assert.notDeepEqual(stableSplit(folder, { ...SETTINGS, seed: 4 }).test, stableSplit(folder, SETTINGS).test);
  });

  it('draws sides by intervals, so a class of many images is near the requested fractions', () => {
    assert.equal(sideAt(0, 0.2, 0.1), 'test');
    assert.equal(sideAt(0.1999, 0.2, 0.1), 'test');
    assert.equal(sideAt(0.2, 0.2, 0.1), 'validation');
    assert.equal(sideAt(0.2799, 0.2, 0.1), 'validation'); // 0.1 of the remaining 0.8
    assert.equal(sideAt(0.28, 0.2, 0.1), 'train');
    assert.equal(sideAt(0.5, 0.2, 0), 'train');
    const n = 2000;
    const folder = scanImageFolder(makeFolder(makeTempDir(), { a: n }));
    const { train, validation, test } = stableSplit(folder, SETTINGS);
    // Binomial counts: within four standard deviations of n·p.
    for (const [count, p] of [[test.length, 0.2], [validation.length, 0.08], [train.length, 0.72]]) {
      assert.ok(Math.abs(count - n * p) < 4 * Math.sqrt(n * p * (1 - p)), `${count} of ${n} where ${n * p} were asked for`);
    }
  });

  it('positions are in [0, 1) and depend on the seed and the key only', () => {
    const positions = Array.from({ length: 1000 }, (_, i) => splitPosition(1, `file:${i}.jpg`));
    assert.ok(positions.every((u) => u >= 0 && u < 1));
    assert.equal(splitPosition(1, 'file:x.jpg'), splitPosition(1, 'file:x.jpg'));
    assert.notEqual(splitPosition(1, 'file:x.jpg'), splitPosition(2, 'file:x.jpg'));
    const mean = positions.reduce((a, b) => a + b, 0) / positions.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean position ${mean}`);
  });

  it('gives every class a training image, and every class of two or more a test image', () => {
    for (let seed = 0; seed < 40; seed += 1) {
      const folder = scanImageFolder(makeFolder(makeTempDir(), { one: 1, two: 2, three: 3, five: 5 }));
      const { train, test } = stableSplit(folder, { ...SETTINGS, seed });
      const trainCounts = countsByClass(folder, train);
      const testCounts = countsByClass(folder, test);
      folder.classes.forEach((name, label) => {
        assert.ok(trainCounts[label] >= 1, `${name} has no training image (seed ${seed})`);
        if (name !== 'one') assert.ok(testCounts[label] >= 1, `${name} has no test image (seed ${seed})`);
      });
    }
  });

  it('keeps the images of a group on one side, across classes, and a non-matching image is its own group', () => {
    const root = makeTempDir();
    for (const name of ['bands', 'blasts']) {
      for (let patient = 0; patient < 30; patient += 1) {
        for (let cell = 0; cell < 4; cell += 1) touch(path.join(root, name, `patient${patient}_${cell}.jpg`));
      }
      touch(path.join(root, name, 'loose.jpg'));
    }
    const folder = scanImageFolder(root);
    const grouped = sidesByPath(folder, { ...SETTINGS, groupBy: '^(patient\\d+)_' });
    const sideOfPatient = new Map<string, Side>();
    for (const [file, side] of grouped) {
      const patient = /patient\d+/.exec(file)?.[0];
      if (!patient) continue;
      assert.equal(sideOfPatient.get(patient) ?? side, side, `${patient} is on two sides`);
      sideOfPatient.set(patient, side);
    }
    assert.equal(new Set(sideOfPatient.values()).size, 3, 'thirty patients fall on all three sides');
    // An image that matches nothing lands where it would without grouping.
    const plain = sidesByPath(folder);
    for (const file of ['bands/loose.jpg', 'blasts/loose.jpg']) assert.equal(grouped.get(file), plain.get(file));
  });

  it('groups images in nested folders by a folder name', () => {
    const root = makeTempDir();
    for (let slide = 0; slide < 12; slide += 1) {
      for (let cell = 0; cell < 5; cell += 1) touch(path.join(root, 'lymphocytes', `slide-${slide}`, `${cell}.jpg`));
    }
    const grouped = sidesByPath(scanImageFolder(root), { ...SETTINGS, groupBy: '^[^/]+' });
    for (let slide = 0; slide < 12; slide += 1) {
      const sides = new Set([...grouped].filter(([file]) => file.includes(`slide-${slide}${path.sep}`)).map(([, side]) => side));
      assert.equal(sides.size, 1, `slide-${slide} is on ${[...sides].join(' and ')}`);
    }
  });

  it('refuses bad fractions and a bad --group-by expression', () => {
    const folder = scanImageFolder(makeFolder(makeTempDir(), { a: 3, b: 3 }));
    for (const testFraction of [0, 1, -0.1, 1.5, Number.NaN]) {
      assert.throws(() => stableSplit(folder, { ...SETTINGS, testFraction }), WbcError, String(testFraction));
    }
    for (const validationFraction of [1, -0.1, Number.NaN]) {
      assert.throws(() => stableSplit(folder, { ...SETTINGS, validationFraction }), WbcError, String(validationFraction));
    }
    assert.doesNotThrow(() => stableSplit(folder, { ...SETTINGS, validationFraction: 0 }));
    assert.throws(() => stableSplit(folder, { ...SETTINGS, groupBy: '(unclosed' }), /^WbcError: --group-by is not a valid regular expression/);
  });
});

describe('stableSubset', () => {
  it('takes at most N per class, and keeps its choice when other classes and images are added', () => {
    const root = makeFolder(makeTempDir(), { b: 30, c: 5 });
    const chosen = (folder: ImageFolder) => stableSubset(folder, 10, 1).images.map((image) => path.relative(root, image.path));
    const before = chosen(scanImageFolder(root));
    assert.equal(before.filter((file) => file.startsWith('b')).length, 10);
    assert.equal(before.filter((file) => file.startsWith('c')).length, 5);
    makeFolder(root, { a: 30 });
    const after = chosen(scanImageFolder(root));
    assert.deepEqual(after.filter((file) => !file.startsWith('a')), before);
  });
});
