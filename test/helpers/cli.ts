import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root, from dist/test/helpers. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'wbc.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `wbc` command as a user would, with its own cache folder. */
export function wbc(args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, WBC_CACHE_DIR: path.join(os.tmpdir(), 'wbc-test-cache'), ...env },
    timeout: 10 * 60 * 1000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** True when the output shows a JavaScript or C++ stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text) || /frame #\d+/.test(text) || /Exception raised from/.test(text);
}
