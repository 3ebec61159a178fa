import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { parseCsv } from '../../src/classify/csv';
import { scanImageFolder } from '../../src/data/image-folder';
import { serve } from '../../src/serve/serve';
import { saveScreenshot } from '../helpers/screenshot';
import { ROOT } from '../helpers/cli';
import { makeServedFolder } from './served-folder';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';

const DOCS = path.join(ROOT, 'docs');

interface ApiCell {
  id: number;
  prediction: string;
  label: string | null;
  needs_review: boolean;
  out_of_scope?: boolean | null;
}

async function focusedId(page: Page): Promise<number> {
  return Number(await page.getAttribute('.tile.focused', 'data-id'));
}

async function ciOf(page: Page, name: string): Promise<string> {
  return (await page.textContent(`#differential tr[data-class="${name}"] td.ci`)) ?? '';
}

test('a technologist reviews a folder in the browser by keyboard and multi-select, signs off and exports', {
  skip: skipWithoutBrowser(),
  timeout: 120_000,
}, async () => {
  const { model, images, dir } = await makeServedFolder(4);
  const exportDir = path.join(dir, 'reviewed');
  const server = await serve(model, images, { port: 0, db: path.join(dir, 'review.sqlite'), exportDir, threads: 1 });
  const browser = await launchBrowser();
  try {
    const api = async <T>(url: string, init?: RequestInit): Promise<T> => (await fetch(`${server.url}${url}`, init)).json() as Promise<T>;
    const cellsNow = async () => new Map((await api<ApiCell[]>('api/cells')).map((c) => [c.id, c]));
    const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
    const offsite: string[] = [];
    page.on('request', (request) => { if (!request.url().startsWith(server.url)) offsite.push(request.url()); });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.equal(await page.locator('.tile').count(), 12);
    await page.fill('#reviewer', 'Ann Tech');
    await page.press('#reviewer', 'Tab');

    // Keyboard: 1 on the first tile makes it the first class ("blue"); focus moves on; s bins the next as a smudge.
    const blueCiBefore = await ciOf(page, 'blue');
    await page.locator('.tile').first().click();
    const first = await focusedId(page);
    await page.keyboard.press('1');
    await page.waitForSelector(`.tile[data-id="${first}"].reviewed`);
    const second = await focusedId(page);
    assert.notEqual(second, first, 'focus moves to the next tile');
    await page.keyboard.press('s');
    await page.waitForSelector(`.tile[data-id="${second}"].reviewed`);
    let cells = await cellsNow();
    assert.equal(cells.get(first)!.label, 'blue');
    assert.equal(cells.get(second)!.label, 'smudge');
    let differential = await api<{ total: number; bins: Record<string, number> }>('api/differential');
    assert.equal(differential.total, 11, 'the smudge leaves the white-cell count');
    assert.equal(differential.bins.smudge, 1);

    // Multi-select: Ctrl-click two tiles, press 3 ("red"); z undoes both; Shift+arrows select again.
    const tiles = page.locator('.tile');
    const a = Number(await tiles.nth(5).getAttribute('data-id'));
    const b = Number(await tiles.nth(9).getAttribute('data-id'));
    await tiles.nth(5).click({ modifiers: ['Control'] });
    await tiles.nth(9).click({ modifiers: ['Control'] });
    assert.equal(await page.locator('.tile.selected').count(), 2);
    await page.keyboard.press('3');
    await page.waitForFunction(() => document.querySelectorAll('.tile.selected').length === 0);
    cells = await cellsNow();
    assert.deepEqual([cells.get(a)!.label, cells.get(b)!.label], ['red', 'red']);
    await page.keyboard.press('z');
    await page.waitForFunction((id) => !document.querySelector(`.tile[data-id="${id}"]`)!.classList.contains('reviewed'), a);
    cells = await cellsNow();
    assert.deepEqual([cells.get(a)!.label, cells.get(b)!.label], [null, null], 'undo restores both');
    await tiles.nth(6).click();
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    assert.equal(await page.locator('.tile.selected').count(), 3);
    const moved = await page.$$eval('.tile.selected', (nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.id)));
    await page.keyboard.press('1');
    await page.waitForFunction(() => document.querySelectorAll('.tile.selected').length === 0);
    cells = await cellsNow();
    for (const id of moved) assert.equal(cells.get(id)!.label, 'blue');

    // The differential on the page follows: blue's count and interval changed.
    const blueCount = [...cells.values()].filter((c) => (c.label ?? c.prediction) === 'blue').length;
    await page.waitForFunction(([count]) => document.querySelector('#differential tr[data-class="blue"] td.number')?.textContent === String(count), [blueCount]);
    const blueCiAfter = await ciOf(page, 'blue');
    assert.notEqual(blueCiAfter, blueCiBefore);
    const apiBlue = (await api<{ rows: { class: string; ci_low: number; ci_high: number }[] }>('api/differential')).rows.find((r) => r.class === 'blue')!;
    assert.equal(blueCiAfter, `${apiBlue.ci_low.toFixed(1)}–${apiBlue.ci_high.toFixed(1)}`);


    // The flagged cells still unreviewed are confirmed (sign-off is refused while any is left).
    for (const cell of (await cellsNow()).values()) {
      if (cell.label !== null || !(cell.needs_review || cell.out_of_scope === true)) continue;
      const body = JSON.stringify({ label: cell.prediction, reviewer: 'Ann Tech' });
      assert.equal((await fetch(`${server.url}api/cells/${cell.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })).status, 200);
    }
    cells = await cellsNow();
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');

    // Sign off: the report page opens, and the review no longer changes.
    page.on('dialog', (dialog) => void dialog.accept());
    const [report] = await Promise.all([page.waitForEvent('popup'), page.click('#sign-off')]);
    await report.waitForSelector('body[data-ready="true"]');
    assert.match((await report.textContent('#report')) ?? '', /Signed off by Ann Tech/);
    await report.setViewportSize({ width: 800, height: 560 });
    fs.mkdirSync(DOCS, { recursive: true });
    await saveScreenshot(report, path.join(DOCS, 'review-report.png'));
    const refused = await fetch(`${server.url}api/cells/${first}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"label":"red"}' });
    assert.equal(refused.status, 409);

    // Exports: the labelled folder and the corrected predictions.
    await page.click('#export-folder');
    await page.waitForSelector('#message:has-text("Exported")');
    const exported = scanImageFolder(exportDir);
    const reviewedAsClass = [...cells.values()].filter((c) => c.label !== null && c.label !== 'smudge');
    assert.equal(exported.images.length, reviewedAsClass.length);
    assert.deepEqual(exported.classes, [...new Set(reviewedAsClass.map((c) => c.label!))].sort());
    const csv = parseCsv(await (await fetch(`${server.url}api/export/predictions.csv`)).text());
    const column = csv[0].indexOf('reviewed_label');
    const by = csv[0].indexOf('reviewed_by');
    assert.equal(csv.length, 13);
    assert.equal(csv.filter((row) => row[column] !== '').length - 1, [...cells.values()].filter((c) => c.label !== null).length);
    assert.ok(csv.slice(1).filter((row) => row[column] !== '').every((row) => row[by] === 'Ann Tech'));
    assert.deepEqual(offsite, [], 'the page loads nothing from elsewhere');
  } finally {
    await browser.close();
    await server.close();
  }
});
