import sharp from 'sharp';
import type { Page } from 'playwright-core';

/** A screenshot saved as a small palette PNG, for the README. */
export async function saveScreenshot(page: Page, file: string): Promise<void> {
  await sharp(await page.screenshot()).png({ palette: true, quality: 70, compressionLevel: 9 }).toFile(file);
}
