import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { serve } from '../../src/serve/serve';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';
import { makeCasesFolder, makeServedFolder } from './served-folder';

interface Summary {
  id: number;
  name: string;
  state: string;
  signed_off_by: string | null;
}

test('a technologist walks the worklist by keyboard, opens a case, reviews and comments it, signs it off and goes back', {
  skip: skipWithoutBrowser(),
  timeout: 150_000,
}, async () => {
  const served = await makeServedFolder(3);
  const cases = makeCasesFolder(served, ['slide-a', 'slide-b', 'slide-c'], 3);
  const server = await serve(served.model, cases, { port: 0, db: path.join(served.dir, 'cases.sqlite'), threads: 1 });
  const browser = await launchBrowser();
  try {
    const worklist = async () => (await fetch(`${server.url}api/cases`)).json() as Promise<Summary[]>;
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForFunction(() => [...document.querySelectorAll('#cases tbody tr')].filter((tr) => (tr as HTMLElement).dataset.state === 'to_review').length === 3,
      undefined, { timeout: 60_000 });
    assert.deepEqual(await page.$$eval('#cases tbody tr td:first-child', (cells) => cells.map((c) => c.textContent)), ['slide-a', 'slide-b', 'slide-c']);

    // Keys: j and ArrowDown move down, k up; Enter opens the focused case's gallery.
    const focused = () => page.getAttribute('#cases tr.focused', 'data-id');
    assert.equal(await focused(), '1');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), '3');
    await page.keyboard.press('k');
    assert.equal(await focused(), '2');
    await Promise.all([page.waitForURL(`${server.url}cases/2/`), page.keyboard.press('Enter')]);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.textContent('#title'), 'slide-b');
    assert.equal(await page.locator('.tile').count(), 3);

    // Review every cell by keyboard (Enter confirms), comment on one cell (c) and on the case.
    await page.fill('#reviewer', 'Ann Tech');
    await page.locator('.tile').first().click();
    await page.keyboard.press('c');
    await page.keyboard.type('smudged, recount');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.tile.commented');
    for (let i = 0; i < 3; i += 1) await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.tile.reviewed').length === 3);
    await page.fill('#case-comment', 'Smudge cells present.');
    await page.press('#case-comment', 'Enter');
    await page.waitForSelector('#message:has-text("Case comment saved")');

    page.on('dialog', (dialog) => void dialog.accept());
    const [report] = await Promise.all([page.waitForEvent('popup'), page.click('#sign-off')]);
    await report.waitForSelector('body[data-ready="true"]');
    assert.equal(new URL(report.url()).pathname, '/cases/2/report');
    const text = (await report.textContent('#report')) ?? '';
    assert.match(text, /Signed off by Ann Tech/);
    assert.match(text, /Case: Smudge cells present\./);
    assert.match(text, /smudged, recount \(Ann Tech\)/);

    // Back on the worklist, case 2 is signed off by Ann Tech; the others are untouched.
    await Promise.all([page.waitForURL(server.url), page.click('#worklist')]);
    await page.waitForSelector('#cases tr[data-id="2"][data-state="signed_off"]');
    assert.match((await page.textContent('#cases tr[data-id="2"]')) ?? '', /signed off.*Ann Tech/);
    assert.deepEqual((await worklist()).map((c) => [c.state, c.signed_off_by]), [['to_review', null], ['signed_off', 'Ann Tech'], ['to_review', null]]);
  } finally {
    await browser.close();
    await server.close();
  }
});
