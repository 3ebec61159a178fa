import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { note } from './report';

/** Debian's interpreter: its python3-torch is the same LibTorch 1.13.1 the addon links; pyenv's python3 has no torch. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '..', '..', 'bench', 'pytorch_reference.py');

function torchImports(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import torch, numpy, PIL'], { stdio: 'ignore' }).status === 0;
}

/** Installs python3-torch with apt when it is missing; false when that is not possible here. */
export function ensurePyTorch(): boolean {
  if (torchImports()) return true;
  note('python3-torch is missing: apt-get install -y python3-torch python3-pil');
  const apt = spawnSync('apt-get', ['install', '-y', 'python3-torch', 'python3-pil'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (apt.status !== 0) note('apt-get could not install python3-torch; the PyTorch side is skipped');
  return torchImports();
}

/**
 * The addon calls mallopt() at load so that glibc keeps freed memory for reuse (src/native/addon/addon.cc);
 * PyTorch gets the same settings through glibc's tunables, or the comparison would measure malloc, not
 * PyTorch. WBC_BENCH_PYTORCH_MALLOC=default runs it with glibc's defaults instead.
 */
export function pytorchMallocEnv(): Record<string, string> {
  if (process.env.WBC_BENCH_PYTORCH_MALLOC === 'default') return {};
  return { GLIBC_TUNABLES: 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647:glibc.malloc.top_pad=1073741824' };
}

export type Reply = Record<string, string>;

/** A running pytorch_reference.py: send one command, get its name=value reply. */
export class PyTorchWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`# pytorch: ${chunk}`));
  }

  /** Starts the worker on a JSON config (see pytorch_reference.py), written into `scratch`, and waits until it is ready. */
  static async start(config: object, scratch: string, env: Record<string, string> = pytorchMallocEnv()): Promise<{ worker: PyTorchWorker; hello: Reply }> {
    const file = path.join(scratch, 'pytorch-config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    const child = spawn(SYSTEM_PYTHON, [SCRIPT, file], { env: { ...process.env, ...env } });
    const worker = new PyTorchWorker(child);
    return { worker, hello: await worker.reply() };
  }

  async send(command: string): Promise<Reply> {
    this.child.stdin.write(`${command}\n`);
    return this.reply();
  }

  private async reply(): Promise<Reply> {
    const reply: Reply = {};
    for (;;) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`pytorch_reference.py exited (code ${this.child.exitCode})`);
      if (next.value === 'ok') return reply;
      const cut = next.value.indexOf('=');
      if (cut > 0) reply[next.value.slice(0, cut)] = next.value.slice(cut + 1);
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('quit\n');
    await exited;
  }
}
