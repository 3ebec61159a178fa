import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/data/decode';
import { resizeLanczos3 } from '../../src/export/resize';
import { ROOT } from '../helpers/cli';

const DATA = process.env.WBC_DATA ?? path.resolve(ROOT, '..', 'shared', 'data');
const UNLABELLED = path.join(DATA, 'classify-images');

test('a flat colour stays flat, and RGBA input drops its alpha', () => {
  const rgba = new Uint8Array(50 * 50 * 4).map((_, i) => [10, 200, 90, 0][i % 4]);
  const out = resizeLanczos3(rgba, 50, 4, 7);
  assert.equal(out.length, 7 * 7 * 3);
  assert.ok(out.every((v, i) => v === [10, 200, 90][i % 3]));
});

test('a sharp edge keeps its place: the left half dark, the right half light', () => {
  const side = 40;
  const rgb = new Uint8Array(side * side * 3).map((_, i) => (Math.floor(i / 3) % side < side / 2 ? 0 : 255));
  const out = resizeLanczos3(rgb, side, 3, 8);
  for (let y = 0; y < 8; y += 1) {
    assert.ok(out[(y * 8 + 1) * 3] < 20 && out[(y * 8 + 6) * 3] > 235);
  }
});

test('on real photos the page\'s resize is close to the CLI\'s (sharp lanczos3)', { skip: !fs.existsSync(UNLABELLED) && `no data at ${UNLABELLED}` }, async () => {
  const files = fs.readdirSync(UNLABELLED).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 20).map((f) => path.join(UNLABELLED, f));
  const size = 64;
  let total = 0;
  let worst = 0;
  let values = 0;
  for (const file of files) {
    const { data, info } = await sharp(file).rotate().flatten({ background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
    const side = Math.min(info.width, info.height);
    const square = new Uint8Array(side * side * 3);
    const left = Math.floor((info.width - side) / 2);
    const top = Math.floor((info.height - side) / 2);
    for (let y = 0; y < side; y += 1) square.set(data.subarray(((top + y) * info.width + left) * 3, ((top + y) * info.width + left + side) * 3), y * side * 3);
    const ours = resizeLanczos3(square, side, 3, size);
    const cli = await decodeImage(file, size);
    for (let i = 0; i < ours.length; i += 1) {
      const difference = Math.abs(ours[i] - cli[i]);
      total += difference;
      worst = Math.max(worst, difference);
    }
    values += ours.length;
  }
  const mean = total / values;
  console.log(`# page resize vs sharp on ${files.length} photos at ${size} px: mean |difference| ${mean.toFixed(2)} of 255, largest ${worst}`);
  assert.ok(mean < 4, `mean difference ${mean}`);
});
