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
