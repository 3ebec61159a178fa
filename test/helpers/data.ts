import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cli';

/** The shared data: $WBC_DATA, else ../shared/data beside the clone. */
export const DATA = process.env.WBC_DATA ?? path.resolve(ROOT, '..', 'shared', 'data');
export const LABELLED = path.join(DATA, 'wbc');
export const UNLABELLED = path.join(DATA, 'classify-images');

const REQUIRED = process.env.WBC_REQUIRE_DATA === '1';

/**
 * The `skip` option of a test that reads these folders: the reason when one is missing. With
 * WBC_REQUIRE_DATA=1 (as CI sets it) nothing is skipped, and requireData fails the test instead.
 */
export function skipWithoutData(...folders: string[]): string | false {
  const missing = folders.filter((folder) => !fs.existsSync(folder));
  return missing.length > 0 && !REQUIRED && `no data at ${missing.join(' and ')} (set WBC_DATA, or WBC_REQUIRE_DATA=1 to fail instead)`;
}

/** The first step of such a test: fails, naming the folder, where WBC_REQUIRE_DATA=1 kept it from skipping. */
export function requireData(...folders: string[]): void {
  for (const folder of folders) assert.ok(fs.existsSync(folder), `the data is missing: ${folder} is needed (set WBC_DATA)`);
}
