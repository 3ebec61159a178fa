import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Progress } from '../../src/serve/api-schemas';
import { train } from '../../src/train/train';
import { startWbc, type RunningCli } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

export interface ServedFolder {
  dir: string;
  model: string;
  images: string;
}

/**
 * A tiny model trained on the synthetic red/green/blue folder, and a folder of unlabelled images to
 * review: copies of 4 images per class, named so that their class is not in the name.
 */
export async function makeServedFolder(perClass = 4): Promise<ServedFolder> {
  const dir = makeTempDir();
  const labelled = path.join(dir, 'labelled');
  await makeLabelledFolder(labelled, Math.max(8, perClass));
  const model = path.join(dir, 'model');
  await train(labelled, { out: model, inputSize: 16, width: 4, epochs: 2, testTimeViews: 1, cacheDir: null, threads: 1 });
  const images = path.join(dir, 'slide');
  fs.mkdirSync(images);
  let n = 0;
  for (const name of ['red', 'green', 'blue']) {
    for (let i = 0; i < perClass; i += 1) {
      n += 1;
      fs.copyFileSync(path.join(labelled, name, `${i}.png`), path.join(images, `cell-${String(n).padStart(3, '0')}.png`));
    }
  }
  return { dir, model, images };
}

/**
 * A folder of cases beside the served folder's model: one sub-folder per name, each holding copies of
 * `perCase` of the slide's images (a different slice for each case).
 */
export function makeCasesFolder(served: ServedFolder, names: readonly string[], perCase = 4): string {
  const cases = path.join(served.dir, 'cases');
  fs.mkdirSync(cases, { recursive: true });
  for (const name of names) addCase(served, cases, name, perCase);
  return cases;
}

/** Adds one case folder whole: made beside the folder of cases, then renamed into it (as a lab's copy would land). */
export function addCase(served: ServedFolder, cases: string, name: string, perCase = 4): void {
  const images = fs.readdirSync(served.images).sort();
  const building = path.join(served.dir, `.building-${name}`);
  fs.mkdirSync(building);
  for (let i = 0; i < perCase; i += 1) {
    const source = images[(name.length * 7 + i * 3) % images.length];
    fs.copyFileSync(path.join(served.images, source), path.join(building, `${name}-${i}.png`));
  }
  fs.renameSync(building, path.join(cases, name));
}

/** Starts `wbc serve` on a free port and resolves to its printed URL. */
export async function startServer(args: string[]): Promise<{ cli: RunningCli; url: string }> {
  const cli = startWbc(['serve', ...args, '--port', '0']);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    cli.child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve(line.trim());
    });
    void cli.finished.then((result) => reject(new Error(`wbc serve ended: ${result.stderr}`)));
  });
  return { cli, url };
}

/**
 * Waits until the served review's classification is done; fails at once with the error of one that
 * failed, and after `ms` (a deadline, not a count of polls: each poll is slower on a loaded machine) with
 * the progress it last saw.
 */
export async function classified(server: { url: string }, ms = 30_000): Promise<void> {
  let progress: Progress | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    progress = (await (await fetch(`${server.url}api/progress`, { signal: AbortSignal.timeout(ms) })).json()) as Progress;
    assert.notEqual(progress.state, 'failed', `the classification failed: ${progress.error}`);
    if (progress.state === 'done') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the classification did not finish within ${ms / 1000} s: ${JSON.stringify(progress)}`);
}
