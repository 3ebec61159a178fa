import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageViews, softmaxRows, viewBatch, writeView } from '../../src/model/views';

/** A size×size image whose pixel (row, column) holds (row, column, 7). */
function coordinates(size: number): Uint8Array {
  const image = new Uint8Array(size * size * 3);
  for (let row = 0; row < size; row += 1) for (let column = 0; column < size; column += 1) image.set([row, column, 7], (row * size + column) * 3);
  return image;
}

function view(image: Uint8Array, size: number, v: number): Uint8Array {
  const out = new Uint8Array(image.length);
  writeView(image, 0, size, v, out, 0);
  return out;
}

/** Where pixel (row, column) of the view came from. */
function sourceOf(viewed: Uint8Array, size: number, row: number, column: number): [number, number] {
  const at = (row * size + column) * 3;
  return [viewed[at], viewed[at + 1]];
}

test('view bits: 1 flips left-right, 2 flips top-bottom, 4 swaps rows and columns', () => {
  const size = 4;
  const image = coordinates(size);
  assert.deepEqual(view(image, size, 0), image);
  assert.deepEqual(sourceOf(view(image, size, 1), size, 0, 0), [0, 3]);
  assert.deepEqual(sourceOf(view(image, size, 2), size, 0, 0), [3, 0]);
  assert.deepEqual(sourceOf(view(image, size, 4), size, 1, 2), [2, 1]);
  // The channels travel together.
  for (let v = 0; v < 8; v += 1) assert.ok(view(image, size, v).every((value, i) => i % 3 !== 2 || value === 7));
});

test('the eight views are the eight different symmetries of the square', () => {
  const size = 5;
  const image = coordinates(size);
  const seen = new Set(Array.from({ length: 8 }, (_, v) => Buffer.from(view(image, size, v)).toString('hex')));
  assert.equal(seen.size, 8);
  for (const v of [1, 2, 3]) assert.deepEqual(view(view(image, size, v), size, v), image, `flip ${v} twice`);
});

test('viewBatch is view-major and averageViews undoes the layout', () => {
  const size = 2;
  const images = new Uint8Array(2 * size * size * 3).map((_, i) => i);
  const batch = viewBatch(images, 2, size, 2);
  assert.deepEqual(batch.subarray(0, images.length), images);
  assert.deepEqual(batch.subarray(images.length, images.length + 12), view(images.subarray(0, 12), size, 1));
  // rows: view 0 (image 0, image 1), view 1 (image 0, image 1), 2 classes each
  const rows = Float32Array.from([0.2, 0.8, 0.6, 0.4, 0.4, 0.6, 1.0, 0.0]);
  assert.deepEqual(Array.from(averageViews(rows, 2, 2, 2), (v) => Number(v.toFixed(6))), [0.3, 0.7, 0.8, 0.2]);
});

test('softmaxRows divides by the temperature and each row sums to 1', () => {
  const logits = Float32Array.from([0, Math.log(3), 1000, 1000]);
  const plain = softmaxRows(logits, 2, 1);
  assert.ok(Math.abs(plain[0] - 0.25) < 1e-6 && Math.abs(plain[1] - 0.75) < 1e-6);
  assert.ok(Math.abs(plain[2] - 0.5) < 1e-6, 'large logits do not overflow');
  const warm = softmaxRows(logits, 2, 2);
  assert.ok(Math.abs(warm[1] - Math.sqrt(3) / (1 + Math.sqrt(3))) < 1e-6);
});
