/**
 * `node dist/bench/serve-latency.js [--model DIR] [--images N]`: how fast `wbc serve` answers API requests
 * while its worker thread classifies a folder of N images (default 2,000), side by side with the same
 * requests once classification has finished. Prints name=value lines (bench/RESULTS.md explains them).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LABELLED_DATA } from './fixture';
import { describeLoad, describeMachine } from './machine';
import { WBC } from './memory';
import { figure, median, note } from './report';

const INTERVAL_MS = 100;

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function sharedImages(): string[] {
  return fs.readdirSync(LABELLED_DATA).sort().flatMap((name) =>
    fs.readdirSync(path.join(LABELLED_DATA, name)).sort().map((file) => path.join(LABELLED_DATA, name, file)));
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(url: string): Promise<{ ms: number; body: unknown }> {
  const start = performance.now();
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return { ms: performance.now() - start, body };
}

function report(name: string, samples: readonly number[]): void {
  figure(`${name}_requests`, samples.length);
  figure(`${name}_median_ms`, median(samples));
  figure(`${name}_p95_ms`, percentile(samples, 95));
  figure(`${name}_max_ms`, Math.max(...samples));
}

async function main(): Promise<void> {
  const count = Number(option('--images') ?? 2000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wbc-bench-serve-'));
  try {
    describeMachine();
    describeLoad('start');
    let model = option('--model');
    if (!model) {
      model = path.join(scratch, 'model');
      note('training a quick model (default network and test-time views, 40 images per class, 1 epoch)');
      const trained = spawnSync(process.execPath, [WBC, 'train', LABELLED_DATA, '--out', model, '--max-per-class', '40', '--epochs', '1', '--no-cache'], { stdio: ['ignore', process.stderr, process.stderr] });
      if (trained.status !== 0) throw new Error('wbc train failed');
    }
    const images = path.join(scratch, 'slide');
    fs.mkdirSync(images);
    const pool = sharedImages();
    for (let i = 0; i < count; i += 1) fs.symlinkSync(pool[(i * 7919) % pool.length], path.join(images, `${String(i).padStart(5, '0')}.jpg`));
    figure('serve_images', count);

    const server = spawn(process.execPath, [WBC, 'serve', model, images, '--port', '0', '--db', path.join(scratch, 'review.sqlite')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = performance.now();
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      server.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.startsWith('http://'));
        if (line) resolve(line.trim());
      });
      server.on('exit', (code) => reject(new Error(`wbc serve exited with ${code}`)));
    });
    const during: number[] = [];
    const duringCells: number[] = [];
    let classifiedAt = 0;
    for (;;) {
      const progress = await timed(`${url}api/progress`);
      const state = (progress.body as { state: string }).state;
      if (state === 'failed') throw new Error('classification failed');
      if (state === 'done') {
        classifiedAt = performance.now();
        break;
      }
      during.push(progress.ms);
      duringCells.push((await timed(`${url}api/differential`)).ms);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
    figure('serve_classify_wall_s', (classifiedAt - started) / 1000);
    report('serve_progress_while_classifying', during);
    report('serve_differential_while_classifying', duringCells);
    const idle: number[] = [];
    const idleDifferential: number[] = [];
    const idleCells: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      idle.push((await timed(`${url}api/progress`)).ms);
      idleDifferential.push((await timed(`${url}api/differential`)).ms);
      idleCells.push((await timed(`${url}api/cells`)).ms);
    }
    report('serve_progress_idle', idle);
    report('serve_differential_idle', idleDifferential);
    report(`serve_cells_${count}_idle`, idleCells);
    figure('serve_progress_p95_ratio_classifying_to_idle', percentile(during, 95) / percentile(idle, 95));
    server.kill('SIGTERM');
    describeLoad('end');
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
