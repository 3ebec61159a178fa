import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confusionMatrixSvg, writeConfusionMatrixImage } from '../../src/evaluate/confusion-image';
import { computeMetrics } from '../../src/evaluate/metrics';
import { WbcError } from '../../src/util/errors';
import { makeTempDir } from '../helpers/images';

const CLASSES = ['bands', 'B&W <cells>', 'eo"sin\'s'];
const metrics = computeMetrics(CLASSES, [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 2]);


test('the SVG is one svg element with one rect per cell and escaped class names', () => {
  const svg = confusionMatrixSvg(metrics, 'Test <split>');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal(svg.match(/<rect class="cell"/g)?.length, 9);
  assert.ok(svg.includes('B&amp;W &lt;cells&gt;'));
  assert.ok(svg.includes('eo&quot;sin&#39;s'));
  assert.ok(!svg.includes('<cells>'));
  assert.ok(!svg.includes('<split>'));
  assert.ok(svg.includes('Test &lt;split&gt; (accuracy 83.3%)'));
  assert.ok(svg.includes('>true class<'));
  assert.ok(svg.includes('>predicted class<'));
  // Every class name appears twice: once per axis, the x-axis copy rotated.
  assert.equal(svg.split('>bands<').length - 1, 2);
  assert.equal(svg.match(/rotate\(-45 /g)?.length, 3);
});

test('cells are coloured by row fraction: a full row is deep blue with white text, an empty cell white', () => {
  const svg = confusionMatrixSvg(metrics);
  // Row "eo..." (index 2) has all of its 1 image in column 2: fraction 1.
  assert.match(svg, /fill="rgb\(8,48,107\)"[^\n]*\n<text[^>]*fill="white">1<\/text>/);
  // The cell true 2 → predicted 0 is empty.
  assert.match(svg, /fill="rgb\(255,255,255\)"[^\n]*\n<text[^>]*fill="black">0<\/text>/);
  // Row 0 sends 1 of 3 to column 1: a third of the way to deep blue.
  assert.ok(svg.includes(`fill="rgb(${Math.round(255 - 247 / 3)},${Math.round(255 - 207 / 3)},${Math.round(255 - 148 / 3)})"`));
});

test('writes an SVG file as is', async () => {
  const file = path.join(makeTempDir(), 'confusion.svg');
  await writeConfusionMatrixImage(metrics, file, 'validation');
  assert.equal(fs.readFileSync(file, 'utf8'), confusionMatrixSvg(metrics, 'validation'));
});

test('writes a PNG rendered at about 150 dpi', async () => {
  const directory = makeTempDir();
  const file = path.join(directory, 'confusion.PNG');
  await writeConfusionMatrixImage(metrics, file);
  const png = fs.readFileSync(file);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const svgWidth = Number(/width="(\d+)"/.exec(confusionMatrixSvg(metrics))![1]);
  const pngWidth = png.readUInt32BE(16); // IHDR width
  assert.ok(Math.abs(pngWidth - (svgWidth * 150) / 72) <= 2, `PNG width ${pngWidth} for SVG width ${svgWidth}`);
  assert.deepEqual(fs.readdirSync(directory), ['confusion.PNG']); // no temporary file left behind
});

test('rejects other extensions without writing anything', async () => {
  const directory = makeTempDir();
  for (const name of ['confusion.jpg', 'confusion']) {
    await assert.rejects(writeConfusionMatrixImage(metrics, path.join(directory, name)), (error: unknown) => {
      assert.ok(error instanceof WbcError);
      assert.match(error.message, /must end in \.svg or \.png/);
      return true;
    });
  }
  assert.deepEqual(fs.readdirSync(directory), []);
});
