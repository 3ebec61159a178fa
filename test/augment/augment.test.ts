import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUGMENT_FIELDS, DEFAULT_AUGMENT_POLICY, dihedralViews, identityAugmentation, sampleAugmentation } from '../../src/augment/policy';
import { native } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';

const STORED = 12;
const INPUT = 8; // even margin: the plain centre crop lands on whole pixels
const MEAN = [0, 0, 0];
const STD = [1, 1, 1];

/** Two images whose every pixel and channel differs, so that any misplaced pixel shows. */
function pixels(): Uint8Array {
  const data = new Uint8Array(2 * STORED * STORED * 3);
  for (let i = 0; i < data.length; i += 1) data[i] = (i * 37 + 11) % 251;
  return data;
}

function batch(params: Float32Array | null, indices = [0]): Float32Array {
  return native().makeBatch(pixels(), STORED, INPUT, Int32Array.from(indices), params, MEAN, STD);
}

/** Value of channel c at (y, x) of image n in an NCHW batch. */
function at(data: Float32Array, n: number, c: number, y: number, x: number): number {
  return data[((n * 3 + c) * INPUT + y) * INPUT + x];
}

function assertClose(actual: number, expected: number, message?: string) {
  assert.ok(Math.abs(actual - expected) < 1e-5, `${message ?? ''} ${actual} != ${expected}`);
}

test('the native layout matches the TypeScript one', () => {
  assert.equal(native().augmentFields, AUGMENT_FIELDS);
});

test('identity parameters give the exact centre crop, normalised', () => {
  const data = pixels();
  const mean = [0.1, 0.2, 0.3];
  const std = [0.5, 0.25, 2];
  const out = native().makeBatch(data, STORED, INPUT, Int32Array.from([1]), identityAugmentation(1), mean, std);
  const margin = (STORED - INPUT) / 2;
  for (let y = 0; y < INPUT; y += 1) {
    for (let x = 0; x < INPUT; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        const raw = data[STORED * STORED * 3 + ((y + margin) * STORED + x + margin) * 3 + c] / 255;
        assertClose(at(out, 0, c, y, x), (raw - mean[c]) / std[c], `(${y},${x},${c})`);
      }
    }
  }
  const withoutParams = native().makeBatch(data, STORED, INPUT, Int32Array.from([1]), null, mean, std);
  out.forEach((value, i) => assertClose(value, withoutParams[i]));
});

test('dihedral 1 flips horizontally, 2 vertically, 4 transposes', () => {
  const plain = batch(null);
  const views = dihedralViews(1, 8);
  const flippedX = batch(views[1]);
  const flippedY = batch(views[2]);
  const transposed = batch(views[4]);
  for (let y = 0; y < INPUT; y += 1) {
    for (let x = 0; x < INPUT; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        assertClose(at(flippedX, 0, c, y, x), at(plain, 0, c, y, INPUT - 1 - x));
        assertClose(at(flippedY, 0, c, y, x), at(plain, 0, c, INPUT - 1 - y, x));
        assertClose(at(transposed, 0, c, y, x), at(plain, 0, c, x, y));
      }
    }
  }
});

test('all eight dihedral views are distinct rearrangements of the same pixels', () => {
  const sorted = (a: Float32Array) => Array.from(a).sort((p, q) => p - q);
  const views = dihedralViews(1, 8).map((view) => batch(view));
  const reference = sorted(views[0]);
  for (const view of views) assert.deepEqual(sorted(view), reference);
  const distinct = new Set(views.map((view) => Array.from(view).join(',')));
  assert.equal(distinct.size, 8);
});

test('plain views are sliced exactly as the affine resampling would sample them', () => {
  // Flips and turns of the plain crop take a slicing shortcut; a zoom of one part in a million takes
  // the resampling path, and every view must agree between the two.
  for (const [dihedral, view] of dihedralViews(1, 8).entries()) {
    const resampled = Float32Array.from(view);
    resampled[1] = 1.000001;
    const sliced = batch(view);
    const sampled = batch(resampled);
    sliced.forEach((value, i) => assert.ok(Math.abs(value - sampled[i]) < 1e-4, `view ${dihedral}, value ${i}: ${value} vs ${sampled[i]}`));
  }
});

test('a shift of one pixel moves the crop by one pixel', () => {
  const params = identityAugmentation(1);
  params[2] = 2 / STORED; // normalised coordinates span 2 units over the stored image
  const plain = batch(null);
  const shifted = batch(params);
  for (let y = 0; y < INPUT; y += 1) {
    for (let x = 0; x < INPUT - 1; x += 1) assertClose(at(shifted, 0, 0, y, x), at(plain, 0, 0, y, x + 1));
  }
});

test('channel gain, brightness and contrast change colours as specified', () => {
  const plain = batch(null);
  const gain = identityAugmentation(1);
  gain[6] = 0.5; // red only
  const halfRed = batch(gain);
  for (let i = 0; i < INPUT * INPUT; i += 1) {
    assertClose(halfRed[i], plain[i] * 0.5);
    assertClose(halfRed[INPUT * INPUT + i], plain[INPUT * INPUT + i]);
  }
  const flat = identityAugmentation(1);
  flat[5] = 0; // zero contrast: every value becomes the image mean (over the stored image)
  const contrastless = batch(flat);
  assert.ok(Math.max(...contrastless) - Math.min(...contrastless) < 1e-5);
  const darker = identityAugmentation(1);
  darker[4] = 0.5;
  const dark = batch(darker);
  for (let i = 0; i < dark.length; i += 1) assertClose(dark[i], plain[i] * 0.5);
});

test('sampled parameters are seeded and stay within the policy', () => {
  const a = sampleAugmentation(DEFAULT_AUGMENT_POLICY, 50, new Rng(3));
  const b = sampleAugmentation(DEFAULT_AUGMENT_POLICY, 50, new Rng(3));
  const c = sampleAugmentation(DEFAULT_AUGMENT_POLICY, 50, new Rng(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const dihedrals = new Set<number>();
  for (let i = 0; i < 50; i += 1) {
    const row = a.subarray(i * AUGMENT_FIELDS, (i + 1) * AUGMENT_FIELDS);
    dihedrals.add(row[0]);
    assert.ok(Number.isInteger(row[0]) && row[0] >= 0 && row[0] < 8);
    assert.ok(row[1] >= 0.9 && row[1] <= 1.1);
    assert.ok(Math.abs(row[2]) <= 0.06 + 1e-6 && Math.abs(row[3]) <= 0.06 + 1e-6);
    assert.ok(row[4] >= 0.9 - 1e-6 && row[4] <= 1.1 + 1e-6);
    for (let k = 6; k < 9; k += 1) assert.ok(row[k] >= 0.95 - 1e-6 && row[k] <= 1.05 + 1e-6);
  }
  assert.ok(dihedrals.size >= 6, 'flips and turns are all drawn');
});

test('augmentation applies per image within a batch', () => {
  const params = identityAugmentation(2);
  params[AUGMENT_FIELDS + 4] = 0.5; // darken only the second image
  const out = batch(params, [0, 1]);
  const plain = batch(null, [0, 1]);
  const half = 3 * INPUT * INPUT;
  for (let i = 0; i < half; i += 1) {
    assertClose(out[i], plain[i]);
    assertClose(out[half + i], plain[half + i] * 0.5);
  }
});

test('indices outside the pixel buffer are refused', () => {
  assert.throws(() => batch(null, [2]), /outside the pixel buffer/);
});
