import { spawn } from 'node:child_process';
import * as net from 'node:net';

/** A TCP port that was free a moment ago (the kernel's pick), for a group's rendezvous. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to exit. */
  elapsed: number;
}

/** Runs `node script ...args` and settles when it exits. */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr, elapsed: Date.now() - started })));
}
