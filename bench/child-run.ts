import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface ChildResult {
  code: number | null;
  seconds: number;
  /** The child's peak resident memory (VmHWM, as GNU time reports it from the kernel's accounting). */
  peakRssMb: number;
  stdout: string;
}

/**
 * Runs a command under GNU time, which reads the child's peak resident memory from wait4() when it exits:
 * exact, unlike sampling /proc. Each stderr line is passed on with the seconds since the start, so a caller
 * can time progress lines (an epoch's end) as they appear.
 */
export async function runMeasured(command: string, args: string[], onLine: (line: string, seconds: number) => void = () => {}): Promise<ChildResult> {
  const timeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wbc-bench-time-')), 'time.txt');
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  readline.createInterface({ input: child.stderr }).on('line', (line) => onLine(line, (performance.now() - started) / 1000));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
  fs.rmSync(path.dirname(timeFile), { recursive: true, force: true });
  const kilobytes = Number(lines[lines.length - 1]);
  return { code, seconds, peakRssMb: kilobytes / 1024, stdout };
}
