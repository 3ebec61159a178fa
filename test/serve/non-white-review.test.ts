import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { per100White } from '../../src/classify/non-white-count';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { reviewDifferential, reviewDifferentialCsv } from '../../src/serve/review-differential';
import type { ReviewState } from '../../src/serve/store';
import { serve } from '../../src/serve/serve';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';
import { makeTempDir } from '../helpers/images';
import { trainTinyNonWhiteModel } from '../helpers/non-white-model';

const CLASSES = ['blue', 'green', 'red', 'erythroblasts', 'platelets'];
const KINDS = ['erythroblasts', 'platelets'];

/** A cell sure of `name`, unreviewed unless `label` is given. */
function state(name: string, label: string | null = null, needsReview = false): ReviewState {
  const probabilities = CLASSES.map((c) => (c === name ? 0.9 : 0.025));
  return { prediction: name, group: name, probabilities, label, needs_review: needsReview, out_of_scope: false };
}

test('the review differential leaves non-white cells out of the white count: nucleated red cells per 100 white cells, platelets a count', () => {
  const scheme = chooseScheme('nine', CLASSES, KINDS);
  const cells = [state('blue'), state('blue'), state('green'), state('red', 'erythroblasts'), state('erythroblasts'), state('platelets', null, true), state('erythroblasts', 'blue')];
  const d = reviewDifferential(cells, CLASSES, scheme);
  assert.equal(d.total, 4, 'blue ×3 (one reviewed from erythroblasts) and green');
  assert.deepEqual(d.rows.map((row) => row.class), ['blue', 'green', 'red'], 'no non-white kind among the white rows');
  assert.deepEqual(d.categories.map((row) => row.category), ['blue', 'green', 'red']);
  const expected = per100White(2, 4)!;
  assert.deepEqual(d.non_white, [
    { kind: 'erythroblasts', count: 2, per_100_white: { value: expected.value, ci_low: expected.low, ci_high: expected.high } },
    { kind: 'platelets', count: 1, per_100_white: null },
  ]);
  assert.equal(d.non_white_needs_review_pending, 1);
  const csv = new Map(parseCsv(reviewDifferentialCsv(d, true)).map((row) => [row[0], row]));
  assert.deepEqual(csv.get('total')!.slice(0, 2), ['total', '4']);
  assert.deepEqual(csv.get('erythroblasts'), ['erythroblasts', '2', '50.0', expected.low.toFixed(2), expected.high.toFixed(2)]);
  assert.deepEqual(csv.get('platelets'), ['platelets', '1', '', '', '']);
  assert.deepEqual(csv.get('non_white_needs_review')!.slice(0, 2), ['non_white_needs_review', '1']);
});

test('in the browser a cell moves from a white class to erythroblasts by its key and back; the differential follows', {
  skip: skipWithoutBrowser(),
  timeout: 240_000,
}, async () => {
  const dir = makeTempDir();
  const { white, nonWhite, model } = await trainTinyNonWhiteModel(dir);
  const images = path.join(dir, 'slide');
  fs.mkdirSync(images);
  for (const [folder, names] of [[white, ['blue', 'green', 'red']], [nonWhite, KINDS]] as const) {
    for (const name of names) for (let i = 0; i < 3; i += 1) fs.copyFileSync(path.join(folder, name, `${i}.png`), path.join(images, `${name}-${i}.png`));
  }
  const server = await serve(model, images, { port: 0, db: path.join(dir, 'review.sqlite'), threads: 1 });
  const browser = await launchBrowser();
  try {
    type Differential = ReturnType<typeof reviewDifferential>;
    const differential = async () => (await fetch(`${server.url}api/differential`)).json() as Promise<Differential>;
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const keys = (await page.textContent('#keys')) ?? '';
    assert.match(keys, /1 blue · 2 green · 3 red · e erythroblasts · p platelets/);

    const cells = (await (await fetch(`${server.url}api/cells`)).json()) as { id: number; prediction: string; group: string }[];
    const kindsFound = new Set(cells.map((cell) => cell.group).filter((group) => KINDS.includes(group)));
    assert.ok(kindsFound.size > 0, 'the tiny model names a non-white kind');
    for (const kind of kindsFound) {
      if (await page.locator(`section.group[data-group="${kind}"]`).count() === 0) continue; // all of that kind in the review queue
      assert.match((await page.textContent(`section.group[data-group="${kind}"] h2`)) ?? '', /not white cells, not in the differential/);
    }

    const before = await differential();
    const whiteCell = cells.find((cell) => !KINDS.includes(cell.group))!;
    await page.fill('#reviewer', 'Ann Tech');
    await page.locator(`.tile[data-id="${whiteCell.id}"]`).click();
    await page.keyboard.press('e');
    await page.waitForSelector(`.tile[data-id="${whiteCell.id}"].reviewed`);
    const moved = await differential();
    assert.equal(moved.total, before.total - 1);
    const erythroblasts = (d: Differential) => d.non_white.find((row) => row.kind === 'erythroblasts')!;
    assert.equal(erythroblasts(moved).count, erythroblasts(before).count + 1);
    assert.deepEqual(erythroblasts(moved).per_100_white!.value, (100 * erythroblasts(moved).count) / moved.total);
    await page.waitForFunction((count) => document.querySelector('#differential tr[data-non-white="erythroblasts"] td.number')?.textContent === String(count), erythroblasts(moved).count);
    const per100 = erythroblasts(moved).per_100_white!;
    assert.equal(await page.textContent('#differential tr[data-non-white="erythroblasts"] td.ci'), `${per100.ci_low.toFixed(1)}–${per100.ci_high.toFixed(1)}`);

    // Back to its white class by that class's number.
    const key = String(['blue', 'green', 'red'].indexOf(whiteCell.prediction) + 1);
    await page.locator(`.tile[data-id="${whiteCell.id}"]`).click();
    await page.keyboard.press(key);
    await page.waitForFunction((count) => document.querySelector('#differential tr[data-non-white="erythroblasts"] td.number')?.textContent === String(count), erythroblasts(before).count);
    const back = await differential();
    assert.equal(back.total, before.total);
    assert.deepEqual(back.rows.map((row) => row.count), before.rows.map((row) => row.count));
  } finally {
    await browser.close();
    await server.close();
  }
});
