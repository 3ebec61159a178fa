import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { evaluate } from '../../src/classifier/evaluate';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';
import { makeTempDir } from '../helpers/images';
import { trainTinyNonWhiteModel } from '../helpers/non-white-model';

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

test('wbc report --scheme: the scheme\'s categories, accuracy and review threshold; a non-white model\'s crossings', { timeout: 240_000 }, async () => {
  const dir = makeTempDir();
  const { white, nonWhite, model } = await trainTinyNonWhiteModel(dir);
  // Every labelled cell, white and not, in one folder: evaluate scores the kinds like any class.
  const labelled = path.join(dir, 'labelled');
  for (const folder of [white, nonWhite]) fs.cpSync(folder, labelled, { recursive: true });
  const schemeFile = path.join(dir, 'lab.json');
  fs.writeFileSync(schemeFile, JSON.stringify({ categories: { cool: { classes: ['blue', 'green'], loinc: '12345-6' }, red: ['red'] } }));

  const report = path.join(dir, 'report.html');
  const written = wbc(['report', model, labelled, '--scheme', schemeFile, '--out', report, '--no-cache', '--threads', '1']);
  assert.equal(written.status, 0, written.stderr);
  const html = fs.readFileSync(report, 'utf8');
  const expected = await evaluate(model, labelled, { scheme: schemeFile, threads: 1, cacheDir: null });
  const scheme = expected.scheme!;
  const section = /<h2 id="scheme">(.*?)(?=<h2)/s.exec(html)?.[1] ?? '';
  assert.match(section, /^Reporting scheme lab\.json on /);
  assert.ok(section.includes(`Accuracy <b>${percent(scheme.metrics.accuracy)}</b>`), section);
  assert.ok(section.includes(`Review threshold <b>${scheme.trust.review.threshold.toFixed(4)}</b>`), section);
  // Its categories in order, the model's non-white kinds as categories of their own after them.
  const categories = [...section.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => m.slice(1));
  assert.deepEqual(categories, [['cool', 'blue + green', '12345-6'], ['red', 'red', ''], ['erythroblasts', 'erythroblasts', ''], ['platelets', 'platelets', '']]);
  const crossings = expected.nonWhite!;
  assert.equal(crossings.nonWhiteCells, 24);
  assert.match(html, new RegExp(`<h2 id="non-white">.*white cells called non-white: ${crossings.whiteCalledNonWhite} of 36`, 's'));
  assert.match(html, new RegExp(`non-white cells called white: ${crossings.nonWhiteCalledWhite} of 24`));

  if (!skipWithoutBrowser()) {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${report}`);
      assert.ok(await page.isVisible('h2#scheme'));
      assert.equal(await page.locator('table.per-category tbody tr').count(), 4);
      assert.ok(await page.isVisible('h2#non-white'));
    } finally {
      await browser.close();
    }
  }

  // A scheme needs images to be scored on; a bad one is one line, before anything is scored.
  assertCleanFailure(wbc(['report', model, '--scheme', schemeFile, '--out', path.join(dir, 'no.html')]), /--scheme lab\.json is scored on labelled images/);
  assertCleanFailure(wbc(['report', model, labelled, '--scheme', 'grouped', '--out', path.join(dir, 'no.html')]), /scheme grouped: category "neutrophils" lists "neutrophils"/);
  assert.ok(!fs.existsSync(path.join(dir, 'no.html')));
});
