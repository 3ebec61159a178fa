import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The one setting for every browser test: Debian's Chromium, or $WBC_CHROMIUM (playwright-core downloads none). */
export const CHROMIUM = process.env.WBC_CHROMIUM ?? '/usr/bin/chromium';

const REQUIRED = process.env.WBC_REQUIRE_BROWSER === '1';

/** The `skip` option of a browser test: the reason when there is no browser, unless WBC_REQUIRE_BROWSER=1 (as CI sets it). */
export function skipWithoutBrowser(): string | false {
  return !fs.existsSync(CHROMIUM) && !REQUIRED && `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set WBC_CHROMIUM)`;
}

/** Headless Chromium as root can run it here: no sandbox, and no background traffic to a network that is not there. */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set WBC_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
