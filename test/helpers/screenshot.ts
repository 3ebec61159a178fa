import sharp from 'sharp';
import type { Page } from 'playwright-core';

/**
 * A screenshot saved as a small palette PNG for the README, only when WBC_SCREENSHOTS=1: an ordinary
 * test run must leave the checkout as it found it.
 */
export async function saveScreenshot(page: Page, file: string): Promise<void> {
  if (process.env.WBC_SCREENSHOTS !== '1') return;
  await sharp(await page.screenshot()).png({ palette: true, quality: 70, compressionLevel: 9 }).toFile(file);
}
