import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { saveScreenshot } from '../helpers/screenshot';
import { ROOT, wbc } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';

const CLASSES = ['blue', 'green', 'red'];

test('wbc evaluate --predictions and wbc report on a tiny model', { timeout: 180_000 }, async () => {
  const dir = makeTempDir();
  const labelled = path.join(dir, 'labelled');
  await makeLabelledFolder(labelled, 8);
  const model = path.join(dir, 'model');
  const trained = wbc(['train', labelled, '--out', model, '--size', '16', '--width', '4', '--epochs', '3', '--tta', '1', '--no-cache', '--threads', '1']);
  assert.equal(trained.status, 0, trained.stderr);

  const rowsFile = path.join(dir, 'rows.csv');
  const evaluated = wbc(['evaluate', model, labelled, '--predictions', rowsFile, '--no-cache', '--threads', '1']);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const rows = parseCsv(fs.readFileSync(rowsFile, 'utf8'));
  assert.deepEqual(rows[0], ['file', 'true_class', 'prediction', 'confidence', 'correct']);
  assert.equal(rows.length - 1, 24);
  for (const [file, truth, prediction, confidence, correct] of rows.slice(1)) {
    assert.equal(truth, file.split(path.sep)[0], 'the true class is the sub-folder');
    assert.ok(CLASSES.includes(prediction));
    assert.ok(Number(confidence) >= 1 / 3 && Number(confidence) <= 1, confidence);
    assert.equal(correct, String(truth === prediction));
  }
  const accuracy = rows.slice(1).filter((row) => row[4] === 'true').length / 24;
  assert.match(evaluated.stdout, new RegExp(`${(accuracy * 100).toFixed(1)}%`), 'the rows agree with the printed accuracy');

  const report = path.join(dir, 'report.html');
  const written = wbc(['report', model, labelled, '--out', report, '--no-cache', '--threads', '1']);
  assert.equal(written.status, 0, written.stderr);
  const html = fs.readFileSync(report, 'utf8');
  for (const id of ['settings', 'data', 'curves', 'scores', 'confusion']) assert.match(html, new RegExp(`id="${id}"`), id);
  assert.doesNotMatch(html, /<script/i, 'no script');
  assert.doesNotMatch(html, /(src|href)="(?!data:|#)/, 'nothing loads from a file or the network');
  const info = JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
  assert.equal((html.match(/<polyline/g) ?? []).length, 3, 'loss, training and validation accuracy');
  assert.match(html, /id="reliability"/);
  const binCounts = [...html.matchAll(/<rect class="bin"[^>]*><title>[^<]*: (\d+) of (\d+) right<\/title>/g)];
  assert.equal(binCounts.reduce((sum, bin) => sum + Number(bin[2]), 0), 24, 'every scored image is in one reliability bin');
  assert.equal(binCounts.reduce((sum, bin) => sum + Number(bin[1]), 0), rows.slice(1).filter((row) => row[4] === 'true').length);
  const lossPoints = /<polyline[^>]*points="([^"]+)"/.exec(html)![1].split(' ');
  assert.equal(lossPoints.length, info.training.history.length, 'one point per epoch');
  for (const name of CLASSES) assert.match(html, new RegExp(`<td>${name}</td>`));
  // Each off-diagonal count links to a section with as many thumbnails as misclassified images (under the cap).
  const wrong = rows.slice(1).filter((row) => row[4] === 'false');
  const links = [...html.matchAll(/<a href="#(misclassified-\d-\d)">(\d+)<\/a>/g)];
  assert.equal(links.reduce((sum, link) => sum + Number(link[2]), 0), wrong.length);
  for (const [, anchor, count] of links) {
    const section = new RegExp(`<section class="misclassified" id="${anchor}">(.*?)</section>`, 's').exec(html);
    assert.ok(section, anchor);
    assert.equal((section![1].match(/<img src="data:image\/jpeg;base64,/g) ?? []).length, Number(count));
  }

  const withoutData = path.join(dir, 'model-only.html');
  assert.equal(wbc(['report', model, '--out', withoutData]).status, 0);
  assert.match(fs.readFileSync(withoutData, 'utf8'), /held-out test split/);
  const missingOut = wbc(['report', model]);
  assert.equal(missingOut.status, 1);
  assert.match(missingOut.stderr, /--out/);

  if (!skipWithoutBrowser()) {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${report}`);
      assert.deepEqual(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')), [], 'the report opens with no network');
      if (links.length > 0) await page.click(`a[href="#${links[0][1]}"]`);
      await saveScreenshot(page, path.join(ROOT, 'docs', 'model-report.png'));
    } finally {
      await browser.close();
    }
  }
});
