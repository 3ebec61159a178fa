import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { serve, type RunningServer } from '../../src/serve/serve';
import { within } from '../helpers/deadline';
import { makeTempDir } from '../helpers/images';
import { classified, makeServedFolder, type ServedFolder } from './served-folder';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser';

const SKIP = skipWithoutBrowser();

interface ApiCell {
  id: number;
  prediction: string;
  label: string | null;
}

// Made at the top level, so that its temporary folder lasts until the whole file is done.
const served: Promise<ServedFolder> | undefined = SKIP ? undefined : makeServedFolder(4);
let folder: ServedFolder;
let browser: Browser;

before(async () => {
  if (!served) return;
  folder = await served;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** A fresh review of the served folder, or of `images` (its own database), closed after `work`. */
async function withServer(work: (server: RunningServer) => Promise<void>, token?: string, images = folder.images): Promise<void> {
  const dir = makeTempDir();
  const server = await serve(folder.model, images, { port: 0, db: path.join(dir, 'review.sqlite'), exportDir: path.join(dir, 'out'), threads: 1, token });
  try {
    await work(server);
  } finally {
    // A stop that hangs fails here, by name, before the test's own timeout.
    await within(server.close(), 20_000, 'the server did not stop');
  }
}

async function cellsOf(server: RunningServer): Promise<Map<number, ApiCell>> {
  return new Map(((await (await fetch(`${server.url}api/cells`)).json()) as ApiCell[]).map((c) => [c.id, c]));
}

async function auditLength(server: RunningServer): Promise<number> {
  return ((await (await fetch(`${server.url}api/audit`)).json()) as unknown[]).length;
}

async function openPage(server: RunningServer, viewport = { width: 1366, height: 768 }, timezoneId?: string): Promise<Page> {
  const context = await browser.newContext({ viewport, timezoneId });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

const tileIds = (page: Page) => page.$$eval('.tile', (nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.id)));
const focusedId = async (page: Page) => Number(await page.getAttribute('.tile.focused', 'data-id'));
const hasFocus = (page: Page, selector: string) => page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);

/** Moves the focus with Tab (or Shift+Tab) alone until the element matching `selector` has it. */
async function tabTo(page: Page, selector: string, key = 'Tab'): Promise<void> {
  for (let i = 0; i < 40 && !(await hasFocus(page, selector)); i += 1) await page.keyboard.press(key);
  assert.ok(await hasFocus(page, selector), `${key} reaches ${selector}`);
}

test('Enter on a selection confirms each selected cell\'s own prediction', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server);
    await page.fill('#reviewer', 'Ann Tech');
    const cells = await cellsOf(server);
    const ids = await tileIds(page);
    const a = ids[0];
    const b = ids.find((id) => cells.get(id)!.prediction !== cells.get(a)!.prediction);
    assert.ok(b !== undefined, 'the tiny model predicts more than one class');
    await page.click(`.tile[data-id="${a}"]`, { modifiers: ['Control'] });
    await page.click(`.tile[data-id="${b}"]`, { modifiers: ['Control'] });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.tile.selected').length === 0);
    const now = await cellsOf(server);
    assert.equal(now.get(a)!.label, cells.get(a)!.prediction);
    assert.equal(now.get(b)!.label, cells.get(b)!.prediction);
    // z undoes the confirmation of both, although it took one request per prediction.
    await page.keyboard.press('z');
    await page.waitForSelector('#message:has-text("Undone: 2 cells")');
    const undone = await cellsOf(server);
    assert.deepEqual([undone.get(a)!.label, undone.get(b)!.label], [null, null]);
  });
});

test('the gallery takes keys only while it has the focus: buttons, links and fields keep theirs', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server);
    await page.fill('#reviewer', 'Ann');
    await page.locator('.tile').first().click();
    const focused = await focusedId(page);
    // In the name field, digits are letters of the name.
    await page.focus('#reviewer');
    await page.keyboard.type('1s');
    assert.equal(await page.inputValue('#reviewer'), 'Ann1s');
    // On a button, Enter and Space press the button, not the focused cell.
    const width = async () => (await page.locator(`.tile[data-id="${focused}"]`).boundingBox())!.width;
    const before = await width();
    await page.focus('#tile-larger');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    assert.ok((await width()) > before, 'the + button made the tiles larger');
    // On a link, a digit does nothing to the cells.
    await page.focus('a[href="report"]');
    await page.keyboard.press('1');
    await page.keyboard.press('Delete');
    assert.equal(await auditLength(server), 0, 'no key outside the gallery changed a cell');
    assert.equal(await focusedId(page), focused);
    // Back in the gallery (Tab reaches the focused tile), a digit labels the cell.
    await page.fill('#reviewer', 'Ann');
    await tabTo(page, '.tile');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id), String(focused));
    await page.keyboard.press('2');
    await page.waitForSelector(`.tile[data-id="${focused}"].reviewed`);
    assert.equal((await cellsOf(server)).get(focused)!.label, 'green');
  });
});

test('keys pressed while a change is in flight are queued and applied in order; the focus follows', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server);
    await page.fill('#reviewer', 'Ann');
    // Each change takes 300 ms to answer: the keys below all arrive while the first is in flight.
    await page.route('**/api/cells', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    const ids = await tileIds(page);
    await page.locator('.tile').first().click();
    for (const key of ['1', '2', '3', 'ArrowRight', 's']) await page.keyboard.press(key);
    await page.waitForFunction((id) => document.querySelector(`.tile[data-id="${id}"]`)?.classList.contains('reviewed'), ids[4]);
    const cells = await cellsOf(server);
    assert.deepEqual(ids.slice(0, 5).map((id) => cells.get(id)!.label), ['blue', 'green', 'red', null, 'smudge']);
    assert.equal(await focusedId(page), ids[5], 'the focus moved on with each change');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id), String(ids[5]));
  });
});

test('a review signed off by keyboard alone; the report names specimen, model, signer, ISO times with offset and counts', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server, { width: 1366, height: 768 }, 'Asia/Kolkata');
    await tabTo(page, '#reviewer');
    await page.keyboard.type('Ann Tech');
    // Into the gallery: Enter confirms each cell in turn, then 1 changes the last cell to the first class.
    await tabTo(page, '.tile');
    const ids = await tileIds(page);
    const predictions = await cellsOf(server);
    for (let i = 0; i < ids.length - 1; i += 1) await page.keyboard.press('Enter');
    const lastPrediction = predictions.get(ids[ids.length - 1])!.prediction;
    const lastKey = lastPrediction === 'blue' ? '2' : '1';
    await page.keyboard.press(lastKey);
    await page.waitForFunction((id) => document.querySelector(`.tile[data-id="${id}"]`)?.classList.contains('reviewed'), ids[ids.length - 1]);
    page.on('dialog', (dialog) => void dialog.accept());
    await tabTo(page, '#sign-off', 'Shift+Tab');
    const [report] = await Promise.all([page.waitForEvent('popup'), page.keyboard.press('Enter')]);
    await report.waitForSelector('body[data-ready="true"]');
    const signOff = (await (await fetch(`${server.url}api/sign-off`)).json()) as { name: string };
    assert.equal(signOff.name, 'Ann Tech');
    const text = (await report.textContent('#report')) ?? '';
    const offsetTime = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+05:30';
    assert.match(text, new RegExp(`Signed off by Ann Tech at ${offsetTime}`));
    assert.match(text, new RegExp(`Specimen \\(folder\\)${path.basename(folder.images)}`));
    assert.match(text, new RegExp(`Model${path.basename(folder.model)}`));
    assert.match(text, new RegExp(`Cells reviewed${ids.length} of ${ids.length}`));
    assert.match(text, /Cells changed from the prediction1(?!\d)/);
    assert.match(text, new RegExp(`Printed at${offsetTime}`));
  });
});

test('after a reload each reviewed cell sits under its reviewed label, and undo still works', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server);
    await page.fill('#reviewer', 'Ann');
    const ids = await tileIds(page);
    const cells = await cellsOf(server);
    const target = ids.find((id) => cells.get(id)!.prediction !== 'red')!;
    const other = ids.find((id) => id !== target)!;
    await page.click(`.tile[data-id="${other}"]`);
    await page.keyboard.press('s');
    await page.waitForSelector(`.tile[data-id="${other}"].reviewed`);
    await page.click(`.tile[data-id="${target}"]`);
    await page.keyboard.press('3');
    await page.waitForSelector(`.tile[data-id="${target}"].reviewed`);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator(`.group[data-group="red"] .tile[data-id="${target}"]`).count(), 1, 'under red, its reviewed label');
    assert.equal(await page.locator(`.group[data-group="smudge"] .tile[data-id="${other}"]`).count(), 1, 'under smudge');
    await page.click(`.tile[data-id="${target}"]`);
    await page.keyboard.press('z');
    await page.waitForSelector('#message:has-text("Undone: 1 cell")');
    assert.equal((await cellsOf(server)).get(target)!.label, null, 'the last change is undone');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.click(`.tile[data-id="${other}"]`);
    await page.keyboard.press('z');
    await page.waitForSelector('#message:has-text("Undone: 1 cell")');
    assert.equal((await cellsOf(server)).get(other)!.label, null, 'then the one before it, not the undo again');
  });
});

/** A copy of the served folder that a test may change. */
function copyOfFolder(): string {
  const copy = path.join(makeTempDir(), 'slide');
  fs.cpSync(folder.images, copy, { recursive: true });
  return copy;
}

async function rescanned(server: RunningServer): Promise<void> {
  const answer = await fetch(`${server.url}api/rescan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(answer.status, 200, await answer.text());
  await classified(server);
}

test('Rescan folder, by keyboard, shows the progress, adds the new image to the gallery and lists the refused files', { skip: SKIP, timeout: 120_000 }, async () => {
  const images = copyOfFolder();
  await withServer(async (server) => {
    const page = await openPage(server);
    const before = (await tileIds(page)).length;
    assert.ok(!(await page.isVisible('#refused')), 'nothing refused yet');
    fs.copyFileSync(path.join(folder.dir, 'labelled', 'red', '7.png'), path.join(images, 'added.png'));
    fs.writeFileSync(path.join(images, 'not-an-image.png'), 'plain text');
    fs.symlinkSync(path.join(folder.dir, 'labelled', 'blue', '0.png'), path.join(images, 'outside.png'));
    // Record every state the progress line passes through.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => seen.push(document.getElementById('progress-text')!.textContent ?? ''))
        .observe(document.getElementById('progress-text')!, { childList: true, characterData: true, subtree: true });
    });
    await tabTo(page, '#rescan');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message:has-text("Folder rescanned")', { timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    // One image classifies quickly: the page may go from the rescan straight to the end without a "Classifying" line in between.
    assert.ok(seen.length > 0, 'the progress line changed');
    assert.match(seen[seen.length - 1], /images classified$/, `the progress ended classified: ${JSON.stringify(seen)}`);
    assert.equal((await tileIds(page)).length, before + 1, 'the added image is in the gallery');
    assert.equal(await page.locator('.tile img[alt="added.png"]').count(), 1);
    assert.ok(await page.isVisible('#refused'));
    const refused = (await page.textContent('#refused')) ?? '';
    assert.match(refused, /^2 files of the folder refused/);
    assert.match(refused, /not-an-image\.png: cannot be read as an image/);
    assert.match(refused, /outside\.png: its real path leaves the folder/);
    // Put right, the files are no longer listed after the next rescan.
    fs.rmSync(path.join(images, 'not-an-image.png'));
    fs.rmSync(path.join(images, 'outside.png'));
    await page.click('#rescan');
    await page.waitForFunction(() => document.getElementById('refused')!.hidden);
  }, undefined, images);
});

test('the report counts label changes as changes recorded, not what a rescan found', { skip: SKIP, timeout: 120_000 }, async () => {
  const images = copyOfFolder();
  await withServer(async (server) => {
    await classified(server);
    const ids = [...(await cellsOf(server)).keys()];
    for (const [id, label] of [[ids[0], 'red'], [ids[1], 'smudge']] as const) {
      const put = await fetch(`${server.url}api/cells/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label, reviewer: 'Ann' }) });
      assert.equal(put.status, 200);
    }
    fs.copyFileSync(path.join(folder.dir, 'labelled', 'red', '7.png'), path.join(images, 'added.png'));
    fs.rmSync(path.join(images, 'cell-012.png'));
    await rescanned(server);
    const kinds = ((await (await fetch(`${server.url}api/audit`)).json()) as { kind: string }[]).map((row) => row.kind);
    assert.deepEqual(kinds.sort(), ['added', 'label', 'label', 'missing'], 'the audit holds rescan events too');
    const report = await (await browser.newContext()).newPage();
    await report.goto(`${server.url}report`);
    await report.waitForSelector('body[data-ready="true"]');
    assert.match((await report.textContent('#report')) ?? '', /Changes recorded2, from /);
  }, undefined, images);
});

/** No horizontal scroll, and every control of the header inside the viewport. */
async function assertFits(page: Page): Promise<void> {
  const fit = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    outside: [...document.querySelectorAll('header button, header a, header input')]
      .map((node) => [node.id || node.textContent, node.getBoundingClientRect()] as const)
      .filter(([, box]) => box.left < 0 || box.right > window.innerWidth)
      .map(([name]) => name),
  }));
  assert.ok(fit.scrollWidth <= fit.innerWidth, `scrolls sideways: ${fit.scrollWidth} > ${fit.innerWidth}`);
  assert.deepEqual(fit.outside, [], 'controls outside the viewport');
}

test('at 1366×768 the tiles are at least 160 px, their size control is remembered, and the differential is in view', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server, { width: 1366, height: 768 });
    await assertFits(page);
    const tileWidth = async () => (await page.locator('.tile').first().boundingBox())!.width;
    assert.ok((await tileWidth()) >= 160, `tiles ${await tileWidth()} px wide`);
    const inView = async () => {
      const box = (await page.locator('#differential').boundingBox())!;
      return box.x >= 0 && box.y >= 0 && box.x + box.width <= 1366 && box.y + box.height <= 768;
    };
    assert.ok(await inView(), 'the differential is in the viewport');
    await page.locator('.tile').last().click();
    assert.ok(await inView(), 'and stays there with the last tile in view');
    const before = await tileWidth();
    await page.click('#tile-larger');
    await page.click('#tile-larger');
    const larger = await tileWidth();
    assert.ok(larger > before);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await tileWidth(), larger, 'the size is remembered');
    await page.click('#tile-smaller');
    assert.ok((await tileWidth()) < larger);
  });
});

test('at 390×844 nothing scrolls sideways or overlaps, and every control is reachable', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const page = await openPage(server, { width: 390, height: 844 });
    await assertFits(page);
    const boxes = await page.$$eval('.tile', (nodes) => nodes.map((n) => {
      const box = n.getBoundingClientRect();
      const caption = n.querySelector('figcaption')!;
      return { left: box.left, right: box.right, top: box.top, bottom: box.bottom, width: box.width, spills: caption.scrollWidth > caption.clientWidth };
    }));
    assert.ok(boxes[0].width >= 160, `tiles ${boxes[0].width} px wide`);
    for (const [i, a] of boxes.entries()) {
      assert.ok(!a.spills, `tile ${i}'s caption spills`);
      assert.ok(a.right <= 390, `tile ${i} leaves the screen`);
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
        assert.ok(!overlap, `tiles overlap: ${JSON.stringify([a, b])}`);
      }
    }
    const table = (await page.locator('#differential table').boundingBox())!;
    assert.ok(table.x >= 0 && table.x + table.width <= 390, 'the differential fits the width');
    // Each control can be reached by keyboard on the phone layout too.
    for (const id of ['reviewer', 'tile-smaller', 'tile-larger', 'sign-off', 'export-folder', 'rescan']) await tabTo(page, `#${id}`);
  });
});

test('a banner shows a record that failed its check, and the refused files are listed', { skip: SKIP, timeout: 120_000 }, async () => {
  await withServer(async (server) => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    // The server's record checks answer through /api/info; here they are made to fail.
    await context.route('**/api/info', async (route) => {
      const info = await (await route.fetch()).json();
      await route.fulfill({ json: { ...info, integrity: { ok: false, problem: 'audit entry 3 does not match its hash' }, refused: [{ file: 'link.png', reason: 'its real path leaves the folder' }] } });
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    assert.match((await page.textContent('#integrity')) ?? '', /failed its check: audit entry 3 does not match its hash/);
    assert.ok(await page.isVisible('#integrity'));
    assert.match((await page.textContent('#refused')) ?? '', /1 file of the folder refused.*link\.png: its real path leaves the folder/s);
    const report = await context.newPage();
    await report.goto(`${server.url}report`);
    await report.waitForSelector('body[data-ready="true"]');
    assert.ok(await report.isVisible('#integrity'), 'the report shows the banner too');
    await context.unroute('**/api/info');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.ok(!(await page.isVisible('#integrity')) && !(await page.isVisible('#refused')), 'nothing shown when the checks pass');
  });
});

test('one browser uses two servers on this host at once: each keeps its own token cookie', { skip: SKIP, timeout: 180_000 }, async () => {
  await withServer(async (first) => {
    await withServer(async (second) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      for (const server of [first, second]) {
        await page.goto(server.openUrl);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      }
      const names = (await context.cookies()).map((cookie) => cookie.name).sort();
      assert.equal(names.length, 2);
      for (const server of [first, second]) {
        const answer = await page.goto(`${server.url}api/info`);
        assert.equal(answer!.status(), 200, `${server.url} still answers the browser`);
      }
      assert.equal((await fetch(`${first.url}api/info`)).status, 401, 'a request without the token is refused');
    }, 'second-server-token-0123456789');
  }, 'first-server-token-0123456789');
});
