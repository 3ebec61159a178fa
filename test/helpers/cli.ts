import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { withoutPermissionOverride } from './unprivileged';

/** The repository root, from dist/test/helpers. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'wbc.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, WBC_CACHE_DIR: path.join(os.tmpdir(), 'wbc-test-cache'), ...env };
}

/** Runs the `wbc` command as a user would, with its own cache folder. */
export function wbc(args: string[], env: Record<string, string> = {}, cwd?: string): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: environment(env), cwd, timeout: 10 * 60 * 1000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `wbc` as a user without root's power over file modes (see withoutPermissionOverride). */
export function wbcWithoutPermissionOverride(args: string[]): CliResult {
  const result = spawnSync(...withoutPermissionOverride(process.execPath, [BIN, ...args]), { encoding: 'utf8', env: environment({}), timeout: 10 * 60 * 1000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningCli {
  child: ChildProcess;
  /** Settles when the process ends; `signal` names the signal that ended it, if one did. */
  finished: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts the `wbc` command without waiting for it, for tests that race or kill it. */
export function startWbc(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: environment(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const finished = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, finished };
}

/** True when the output shows a JavaScript or C++ stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text) || /frame #\d+/.test(text) || /Exception raised from/.test(text);
}

/** A clear failure: exit status 1, the last line on stderr naming the problem, no stack trace. */
export function assertCleanFailure(result: CliResult, pattern: RegExp): void {
  assert.equal(result.status, 1, result.stderr);
  assert.ok(!hasStackTrace(result.stderr), result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1], pattern);
}
