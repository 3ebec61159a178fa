import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { serve } from '../../src/serve/serve';
import { ROOT } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
import { saveScreenshot } from '../helpers/screenshot';
import { launchBrowser } from '../helpers/browser';

const MODEL = process.env.WBC_SCREENSHOT_MODEL;
const IMAGES = process.env.WBC_SCREENSHOT_IMAGES;

/** True once every image in the viewport has loaded (lazy ones further down never do until scrolled to). */
function imagesInViewLoaded(): boolean {
  return [...document.images].every((image) => {
    const box = image.getBoundingClientRect();
    return box.bottom < 0 || box.top > window.innerHeight || (image.complete && image.naturalWidth > 0);
  });
}

/**
 * The README's pictures of the gallery, with real cells: a model (WBC_SCREENSHOT_MODEL) and a folder of
 * real images (WBC_SCREENSHOT_IMAGES) are needed, which the repository does not hold, so this runs only
 * when asked, with WBC_SCREENSHOTS=1.
 */
test('screenshots of the gallery with real cells at 1366×768 and 390×844', {
  skip: (process.env.WBC_SCREENSHOTS !== '1' || !MODEL || !IMAGES) && 'set WBC_SCREENSHOTS=1, WBC_SCREENSHOT_MODEL and WBC_SCREENSHOT_IMAGES to take them',
  timeout: 300_000,
}, async () => {
  const dir = makeTempDir();
  const server = await serve(MODEL!, IMAGES!, { port: 0, db: path.join(dir, 'review.sqlite'), exportDir: path.join(dir, 'out'), threads: 1 });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 240_000 });
    await page.fill('#reviewer', 'Ann Tech');
    // A review under way: three cells confirmed, one corrected, one binned as a smudge.
    await page.locator('.tile').first().click();
    for (const key of ['Enter', 'Enter', 'Enter', '7', 's']) await page.keyboard.press(key);
    await page.waitForFunction(() => document.querySelectorAll('.tile.reviewed').length === 5);
    await page.waitForFunction(imagesInViewLoaded);
    fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    await saveScreenshot(page, path.join(ROOT, 'docs', 'review-gallery.png'));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForFunction(imagesInViewLoaded);
    await saveScreenshot(page, path.join(ROOT, 'docs', 'review-gallery-phone.png'));
  } finally {
    await browser.close();
    await server.close();
  }
});

/** The worklist picture: the real images split into three cases, one signed off, one under review, one untouched. */
test('screenshot of the worklist with three cases of real cells', {
  skip: (process.env.WBC_SCREENSHOTS !== '1' || !MODEL || !IMAGES) && 'set WBC_SCREENSHOTS=1, WBC_SCREENSHOT_MODEL and WBC_SCREENSHOT_IMAGES to take it',
  timeout: 300_000,
}, async () => {
  const dir = makeTempDir();
  const cases = path.join(dir, 'cases');
  const images = fs.readdirSync(IMAGES!).filter((name) => /\.(jpe?g|png|tiff?|bmp)$/i.test(name)).sort();
  images.forEach((name, i) => {
    const folder = path.join(cases, `slide-0${1 + (i % 3)}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(path.join(IMAGES!, name), path.join(folder, name));
  });
  const server = await serve(MODEL!, cases, { port: 0, db: path.join(dir, 'review.sqlite'), exportDir: path.join(dir, 'out'), threads: 1 });
  const browser = await launchBrowser();
  try {
    const send = (url: string, method: string, body: unknown) =>
      fetch(`${server.url}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (;;) {
      const list = await (await fetch(`${server.url}api/cases`)).json() as { state: string }[];
      if (list.every((c) => c.state === 'to_review')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Case 1 signed off (its flagged cells confirmed), case 2 half reviewed.
    type Flagged = { id: number; prediction: string; needs_review: boolean; out_of_scope: boolean | null };
    for (const [id, share] of [[1, 1], [2, 0.5]]) {
      const flagged = (await (await fetch(`${server.url}api/cases/${id}/cells`)).json() as Flagged[]).filter((c) => c.needs_review || c.out_of_scope);
      for (const cell of flagged.slice(0, Math.round(flagged.length * share))) {
        await send(`api/cases/${id}/cells/${cell.id}`, 'PUT', { label: cell.prediction, reviewer: 'Ann Tech' });
      }
    }
    await send('api/cases/1/comment', 'PUT', { comment: 'Smudge cells present.', reviewer: 'Ann Tech' });
    await send('api/cases/1/sign-off', 'POST', { name: 'Ann Tech' });
    const page = await browser.newPage({ viewport: { width: 1000, height: 240 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.keyboard.press('j');
    await saveScreenshot(page, path.join(ROOT, 'docs', 'review-worklist.png'));
  } finally {
    await browser.close();
    await server.close();
  }
});
