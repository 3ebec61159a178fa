import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { classify } from '../../src/classifier/classify';
import { serve } from '../../src/serve/serve';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';
import { makeServedFolder } from './served-folder';

interface ApiCell {
  id: number;
  file: string;
  prediction: string;
  group: string;
  needs_review: boolean;
  out_of_scope: boolean | null;
  label: string | null;
}

interface CountRow { count: number; percent: number; ci_low: number; ci_high: number }
interface ApiDifferential {
  scheme: string;
  total: number;
  categories: (CountRow & { category: string; classes: (CountRow & { class: string })[] })[];
}

/** A lab's scheme for the synthetic red/green/blue model: two categories, one of two classes. */
const COOL_WARM = { categories: { cool: ['blue', 'green'], warm: { classes: ['red'], loinc: '26464-8' } } };

test('wbc serve --scheme FILE: the queue is classify --scheme\'s, the gallery, differential and report are by category; the review keeps its scheme', {
  skip: skipWithoutBrowser(),
  timeout: 180_000,
}, async () => {
  const { model, images, dir } = await makeServedFolder(4);
  const schemeFile = path.join(dir, 'cool-warm.json');
  fs.writeFileSync(schemeFile, JSON.stringify(COOL_WARM));
  const db = path.join(dir, 'review.sqlite');
  const expected = await classify(model, images, { scheme: schemeFile, threads: 1 });
  const server = await serve(model, images, { port: 0, db, threads: 1, scheme: schemeFile });
  const browser = await launchBrowser();
  try {
    const api = async <T>(url: string): Promise<T> => (await fetch(`${server.url}${url}`)).json() as Promise<T>;
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });

    // The queue and each cell's group are those of wbc classify under the same scheme (its own review threshold).
    const cells = await api<ApiCell[]>('api/cells');
    const byFile = new Map(expected.predictions.map((p) => [p.file, p]));
    assert.equal(cells.length, 12);
    for (const cell of cells) {
      assert.equal(cell.group, byFile.get(cell.file)!.group, cell.file);
      assert.equal(cell.needs_review, byFile.get(cell.file)!.needsReview, cell.file);
    }
    assert.ok(expected.schemeReview, 'the scheme got a review threshold of its own');

    // The gallery groups by category; each tile keeps its class.
    const groups = await page.$$eval('section.group', (nodes) => nodes.map((n) => (n as HTMLElement).dataset.group));
    const flagged = cells.filter((c) => c.needs_review || c.out_of_scope === true);
    const shown = [...(flagged.length ? ['Needs review'] : []), ...['cool', 'warm'].filter((name) => cells.some((c) => c.group === name && !flagged.includes(c)))];
    assert.deepEqual(groups, shown);
    const firstTile = page.locator('.tile').first();
    const firstId = Number(await firstTile.getAttribute('data-id'));
    const firstCell = cells.find((c) => c.id === firstId)!;
    assert.equal(await firstTile.locator('.prediction').textContent(), firstCell.prediction);

    // The differential: categories with exact intervals, the class detail beneath the two-class one.
    let differential = await api<ApiDifferential>('api/differential');
    assert.equal(differential.scheme, 'cool-warm.json');
    const cool = differential.categories[0];
    const interval = clopperPearsonInterval(cool.count, differential.total);
    assert.equal(await page.textContent('#differential tr[data-category="cool"] td.ci'), `${(interval.low * 100).toFixed(1)}–${(interval.high * 100).toFixed(1)}`);
    assert.deepEqual(await page.$$eval('#differential tr.detail', (rows) => rows.map((r) => (r as HTMLElement).dataset.class)), ['blue', 'green', 'red'], 'each category\'s classes beneath it');
    assert.equal(await page.textContent('#differential th'), 'category');

    // A cool cell relabelled red (key 3) moves to warm: the category counts follow.
    await page.fill('#reviewer', 'Ann Tech');
    const coolCell = cells.find((c) => c.group === 'cool')!;
    await page.locator(`.tile[data-id="${coolCell.id}"]`).click();
    await page.keyboard.press('3');
    await page.waitForSelector(`.tile[data-id="${coolCell.id}"].reviewed`);
    const after = await api<ApiDifferential>('api/differential');
    assert.equal(after.categories[0].count, cool.count - 1);
    assert.equal(after.categories[1].count, differential.categories[1].count + 1);
    await page.waitForFunction((count) => document.querySelector('#differential tr[data-category="warm"] td.number')?.textContent === String(count), after.categories[1].count);
    differential = after;

    // The report names the scheme.
    const report = await browser.newPage();
    await report.goto(`${server.url}report`);
    await report.waitForSelector('body[data-ready="true"]');
    assert.match((await report.textContent('#report')) ?? '', /Reporting schemecool-warm\.json: cool = blue \+ green/);
    assert.equal(await report.locator('tr[data-category="warm"]').count(), 1);
  } finally {
    await browser.close();
    await server.close();
  }

  // The review keeps the scheme it was classified and flagged in: another is refused in one line.
  assertCleanFailure(wbc(['serve', model, images, '--db', db, '--port', '0']), /the review .*review\.sqlite was classified and flagged under scheme cool-warm\.json, not nine; open it with --scheme cool-warm\.json as it was, or use --db for a new review/);
  fs.writeFileSync(schemeFile, JSON.stringify({ categories: { cool: ['blue'], warm: ['red', 'green'] } }));
  assertCleanFailure(wbc(['serve', model, images, '--db', db, '--port', '0', '--scheme', schemeFile]), /under another version of scheme cool-warm\.json \(its categories differ from this one's\)/);
  assertCleanFailure(wbc(['serve', model, images, '--db', path.join(makeTempDir(), 'new.sqlite'), '--port', '0', '--scheme', 'grouped']), /scheme grouped: category "neutrophils" lists "neutrophils", which is not one of the model's classes/);
});
