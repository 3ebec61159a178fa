import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { parseCsv } from '../../src/classify/csv';
import { decodeImage } from '../../src/data/decode';
import { servePage } from '../../src/export/serve-page';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeLabelledFolder, makeNonWhiteFolder, makeTempDir, pixelDifferences, writeImage } from '../helpers/images';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';
import { pageStoredSquares } from './page-pixels';

// As test/cli/non-white.test.ts: enough epochs that the tiny network names the non-white kinds. The stored
// side (26 px at the default crop) is above the 24 px images: the page enlarges them as sharp does.
const RUN = ['--size', '16', '--width', '4', '--epochs', '8', '--no-cache', '--tta', '1', '--threads', '1'];
/** A lab's scheme for the synthetic red/green/blue model; the model's non-white kinds get a category each. */
const COOL_WARM = { categories: { cool: ['blue', 'green'], warm: { classes: ['red'], loinc: '26464-8' } } };
/** Columns of numbers: ONNX Runtime Web (WebAssembly) and onnxruntime-node may differ in the last float bits, hence 1e-3. */
const NUMERIC = /^(confidence|second_confidence|group_confidence|blue|green|red|erythroblasts|platelets)$/;

interface PageCsvs { predictions: string[][]; differential: string[][]; differentialRows: number; nonWhiteRows: string[] }

/** Opens the page, classifies `files`, and downloads both of its CSVs. */
async function classifyInPage(tab: Page, origin: string, files: string[]): Promise<PageCsvs> {
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(String(error)));
  await tab.goto(`${origin}/`);
  await tab.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
  await tab.setInputFiles('#pick', files);
  await tab.waitForSelector('body[data-state="done"]', { timeout: 2 * 60_000 });
  assert.deepEqual(errors, []);
  const csvOf = async (button: string) => {
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.click(button)]);
    return parseCsv(fs.readFileSync(await download.path(), 'utf8'));
  };
  return {
    predictions: await csvOf('#download'),
    differential: await csvOf('#download-differential'),
    differentialRows: await tab.locator('#differential tr').count(),
    nonWhiteRows: await tab.locator('#non-white tr').evaluateAll((trs) => (trs as HTMLTableRowElement[]).map((tr) => Array.from(tr.cells, (c) => c.textContent).join(' | '))),
  };
}

describe('the exported page under a reporting scheme, for a model with non-white kinds', { skip: skipWithoutBrowser(), timeout: 600_000 }, () => {
  const work = makeTempDir();
  const model = path.join(work, 'model');
  const cells = path.join(work, 'cells');
  const schemeFile = path.join(work, 'cool-warm.json');
  let files: string[] = [];

  before(async () => {
    const white = path.join(work, 'white');
    const nonWhite = path.join(work, 'non-white');
    await makeLabelledFolder(white, 12);
    await makeNonWhiteFolder(nonWhite, 12);
    const trained = wbc(['train', white, '--non-white', nonWhite, '--out', model, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
    fs.writeFileSync(schemeFile, JSON.stringify(COOL_WARM));
    // One flat folder with unique names: the page knows a file by its name, the CLI by its path in the folder.
    fs.mkdirSync(cells);
    for (const folder of [white, nonWhite]) {
      for (const kind of fs.readdirSync(folder)) {
        for (const name of fs.readdirSync(path.join(folder, kind))) fs.copyFileSync(path.join(folder, kind, name), path.join(cells, `${kind}-${name}`));
      }
    }
    files = fs.readdirSync(cells).sort().map((name) => path.join(cells, name));
  });

  for (const choice of ['nine', 'file'] as const) {
    test(`--scheme ${choice}: the page's predictions CSV is wbc classify's, and its differential CSV is the CLI's count for count`, async () => {
      const schemeArgs = choice === 'file' ? ['--scheme', schemeFile] : [];
      const page = path.join(work, `page-${choice}`);
      const exported = wbc(['export', model, '--web', page, ...schemeArgs]);
      assert.equal(exported.status, 0, exported.stderr);
      if (choice === 'file') assert.match(exported.stdout, /reports in scheme cool-warm\.json \(4 categories\), review threshold [\d.]+, fitted on its categories' confidences/);
      const facts = JSON.parse(fs.readFileSync(path.join(page, 'facts.json'), 'utf8'));
      assert.deepEqual(facts.nonWhite, ['erythroblasts', 'platelets']);
      assert.ok(facts.outOfScope && fs.existsSync(path.join(page, 'out-of-scope.bin')), 'the page runs the model\'s k-NN out-of-scope check');

      // The page averages the model's own views (one here), in ONNX Runtime as the page does.
      const out = path.join(work, `cli-${choice}.csv`);
      const classified = wbc(['classify', model, cells, '--out', out, '--tta', String(facts.testTimeViews), '--engine', 'onnx', '--threads', '1', ...schemeArgs]);
      assert.equal(classified.status, 0, classified.stderr);
      if (choice === 'file') assert.match(classified.stdout, new RegExp(`review threshold ${facts.schemeReviewThreshold}\\)`), 'the page bakes in the threshold the CLI fits');
      const cli = parseCsv(fs.readFileSync(out, 'utf8'));
      const cliDifferential = parseCsv(fs.readFileSync(out.replace(/\.csv$/, '-differential.csv'), 'utf8'));

      const server = await servePage(page, { port: 0 });
      const browser = await launchBrowser();
      let shown: PageCsvs;
      try {
        const tab = await (await browser.newContext({ acceptDownloads: true })).newPage();
        shown = await classifyInPage(tab, server.url.replace(/\/$/, ''), files);
      } finally {
        await browser.close();
        await server.close();
      }

      const [header, ...rows] = shown.predictions;
      assert.deepEqual(header, cli[0]);
      assert.ok(header.includes('group') && header.includes('group_confidence'));
      const column = (name: string) => header.indexOf(name);
      const byFile = new Map(cli.slice(1).map((row) => [row[0], row]));
      assert.equal(rows.length, files.length);
      let outOfScope = 0;
      for (const row of rows) {
        const expected = byFile.get(row[0]);
        assert.ok(expected, row[0]);
        header.forEach((name, i) => {
          if (NUMERIC.test(name) || name === 'out_of_scope_score') {
            assert.ok(row[i] !== '' && Math.abs(Number(row[i]) - Number(expected[i])) <= 1e-3, `${row[0]} ${name}: page ${row[i]}, CLI ${expected[i]}`);
          } else assert.equal(row[i], expected[i], `${row[0]} ${name}`);
        });
        if (expected[column('out_of_scope')] === 'true') outOfScope += 1;
      }
      const predicted = new Set(rows.map((row) => row[column('prediction')]));
      assert.ok(predicted.has('erythroblasts') || predicted.has('platelets'), 'the model names a non-white kind');
      if (choice === 'file') assert.ok(rows.some((row) => row[column('group')] === 'cool'), 'cells are answered in the scheme\'s categories');

      // The differential, count for count: categories (with the class detail and exact intervals), the
      // review and out-of-scope counts, and the non-white kinds apart.
      assert.deepEqual(shown.differential, cliDifferential);
      console.log(`# --scheme ${choice}: ${rows.length} cells, ${outOfScope} out of scope for the CLI; ${shown.differential.length - 1} differential rows equal`);
      const categories = cliDifferential.filter((row) => (choice === 'file' ? row[1] === '' : true) && /^(blue|green|red|cool|warm)$/.test(row[0])).length;
      assert.ok(shown.differentialRows >= categories, `the page shows the ${categories} white categories`);
      assert.equal(shown.nonWhiteRows.length, 2);
      assert.match(shown.nonWhiteRows[0], /^erythroblasts \| \d+ \| [\d.]+ per 100 white cells \(95% [\d.]+–[\d.]+\)$/);
      assert.match(shown.nonWhiteRows[1], /^platelets \| \d+ \| counted only$/);
    });
  }

  test('a JPEG or PNG turned by its EXIF orientation gives the page the CLI\'s stored square: resized as stored, turned after', async () => {
    const page = path.join(work, 'page-turned');
    const exported = wbc(['export', model, '--web', page]);
    assert.equal(exported.status, 0, exported.stderr);
    const { storedSize } = JSON.parse(fs.readFileSync(path.join(page, 'facts.json'), 'utf8')) as { storedSize: number };
    // Odd and even sides, so that a turn done at the wrong step moves the centre cut; smaller and larger than the square.
    const texture = (x: number, y: number) => [(x * 37 + y * 11) % 256, (x * y + 3 * y) % 256, (x * 5 + y * 23) % 256];
    const turned: string[] = [];
    for (const orientation of [1, 3, 5, 6, 8]) {
      for (const [width, height] of [[41, 30], [75, 52]]) {
        for (const format of ['jpg', 'png']) turned.push(await writeImage(path.join(work, 'turned', `o${orientation}-${width}x${height}.${format}`), width, height, texture, orientation));
      }
    }
    const server = await servePage(page, { port: 0 });
    const browser = await launchBrowser();
    let squares: number[][];
    try {
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(server.url);
      squares = await pageStoredSquares(tab, server.url, turned, storedSize);
    } finally {
      await browser.close();
      await server.close();
    }
    for (const [i, file] of turned.entries()) {
      // Equal here (Chromium's JPEG decoder and sharp's agreed); a level allowed for other builds. Turned at the
      // wrong step, 41×30 with orientation 5 was 6 levels off.
      const difference = pixelDifferences(Uint8Array.from(squares[i]), await decodeImage(file, storedSize));
      assert.ok(difference.mean < 0.1 && difference.max <= 1, `${path.basename(file)}: ${JSON.stringify(difference)}`);
    }
  });

  test('a model without calibration scores asked for a scheme of its own is refused in one line, and no page is written', () => {
    const old = path.join(work, 'old-model');
    fs.cpSync(model, old, { recursive: true });
    const info = JSON.parse(fs.readFileSync(path.join(old, 'model.json'), 'utf8'));
    assert.ok(info.calibrationScores, 'the trained model keeps calibration scores');
    delete info.calibrationScores;
    fs.writeFileSync(path.join(old, 'model.json'), JSON.stringify(info));
    const page = path.join(work, 'old-page');
    assertCleanFailure(wbc(['export', old, '--web', page, '--scheme', schemeFile]), /scheme cool-warm\.json needs a review threshold of its own, fitted on calibration scores that this model predates: run `wbc calibrate/);
    assert.ok(!fs.existsSync(page));
    assert.equal(wbc(['export', old, '--web', page]).status, 0, 'class by class it needs none');
    assertCleanFailure(wbc(['export', old, '--onnx', path.join(work, 'x.onnx'), '--scheme', 'grouped']), /--scheme is for the page: name --web FOLDER too/);
  });
});
