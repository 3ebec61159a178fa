import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { wbc } from '../helpers/cli';
import { makeTempDir, touch, writeImage } from '../helpers/images';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';

/** The nine classes of the real data, whose long names once pushed the confusion matrix off the page. */
const CLASSES = ['bands', 'basophils', 'blasts', 'eosinophils', 'lymphocytes', 'metamyelocytes', 'monocytes', 'myelocytes', 'neutrophils'];
const PER_CLASS = 8;

/** How far anything reaches past the page's width, and past the body's content box, in CSS px (0 when it all fits). */
async function overflow(page: Page): Promise<{ page: number; body: number; widest: string }> {
  return page.evaluate(() => {
    const body = document.body.getBoundingClientRect();
    const style = getComputedStyle(document.body);
    const contentRight = body.right - parseFloat(style.paddingRight);
    let widest = '';
    let past = 0;
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      const right = element.getBoundingClientRect().right;
      if (right - contentRight > past) {
        past = right - contentRight;
        widest = element.tagName + (element.className ? `.${String(element.className)}` : '');
      }
    }
    return { page: document.documentElement.scrollWidth - window.innerWidth, body: Math.max(0, past), widest };
  });
}

test('wbc report\'s page shows every warning the command printed, near the top, and fits 1366 px and an A4 page', { skip: skipWithoutBrowser(), timeout: 180_000 }, async () => {
  const dir = makeTempDir();
  const labelled = path.join(dir, 'labelled');
  for (const [index, name] of CLASSES.entries()) {
    for (let i = 0; i < PER_CLASS; i += 1) {
      await writeImage(path.join(labelled, name, `${i}.png`), 24, 24, (x, y) => [(index * 28 + x) % 256, (i * 30 + y) % 256, 128]);
    }
  }
  const model = path.join(dir, 'model');
  const trained = wbc(['train', labelled, '--out', model, '--size', '16', '--width', '4', '--epochs', '2', '--tta', '1', '--no-cache', '--threads', '1']);
  assert.equal(trained.status, 0, trained.stderr);
  // Scoring the training folder itself, plus a file that is not an image: two kinds of warning.
  touch(path.join(labelled, 'blasts', 'broken.png'), 'not an image');
  const report = path.join(dir, 'report.html');
  const written = wbc(['report', model, labelled, '--out', report, '--no-cache', '--threads', '1']);
  assert.equal(written.status, 0, written.stderr);
  const printed = written.stderr.split('\n').filter((line) => line.startsWith('warning: ')).map((line) => line.slice('warning: '.length));
  assert.ok(printed.some((warning) => /were used to train the model/.test(warning)), written.stderr);
  assert.ok(printed.some((warning) => /^skipped: .*broken\.png/.test(warning)), written.stderr);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`file://${report}`);
    const shown = await page.locator('#warnings li').allTextContents();
    assert.deepEqual(shown, printed, 'the page lists exactly the warnings the command printed');
    const box = await page.locator('#warnings').boundingBox();
    assert.ok(box && box.y + box.height <= 768, 'the warnings are in the first screen');
    assert.ok(await page.locator('#warnings').isVisible());
    const first = await page.evaluate(() => document.querySelector('h2')?.closest('section')?.id);
    assert.equal(first, 'warnings', 'the warnings come before the settings');

    const screen = await overflow(page);
    assert.equal(screen.page, 0, 'no horizontal scrolling at 1366 px');
    assert.ok(screen.body <= 0.5, `${screen.widest} reaches ${screen.body} px past the text column at 1366 px`);
    const matrix = await page.evaluate(() => {
      const wrapper = document.querySelector('table.confusion')!.parentElement!;
      return { scroll: wrapper.scrollWidth, client: wrapper.clientWidth };
    });
    assert.ok(matrix.scroll <= matrix.client, `the confusion matrix scrolls sideways: ${JSON.stringify(matrix)}`);
    const titles = await page.locator('figure.chart figcaption').evaluateAll((captions) => captions.map((c) => ({ text: c.textContent, cut: c.scrollWidth > c.clientWidth })));
    assert.equal(titles.length, 3, 'loss, accuracy and reliability charts');
    for (const title of titles) assert.ok(!title.cut, `chart title cut: ${title.text}`);

    // Printed on A4: its width less the page margins, at the CSS 96 px per inch.
    await page.setViewportSize({ width: Math.floor(((210 - 24) / 25.4) * 96), height: 1000 });
    await page.emulateMedia({ media: 'print' });
    const printedPage = await overflow(page);
    assert.equal(printedPage.page, 0, 'no horizontal overflow on an A4 page');
    assert.ok(printedPage.body <= 0.5, `${printedPage.widest} reaches ${printedPage.body} px past an A4 page`);
    assert.ok(await page.locator('#warnings').isVisible(), 'the warnings are printed');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    assert.ok(pdf.subarray(0, 5).toString() === '%PDF-', 'Chromium prints the page to PDF');
  } finally {
    await browser.close();
  }
});
