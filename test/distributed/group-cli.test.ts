import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { assertCleanFailure, hasStackTrace, startWbc, wbc, type CliResult, type RunningCli } from '../helpers/cli';
import { freePort } from '../helpers/group';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

// One thread per rank, as the two ranks share this machine's cores. fp32, because these tests compare a
// group's losses with one process's to 1e-4: a group adds the batch's parts in another order, which moved
// the first epoch's loss by 1.6e-3 in bf16 (auto's choice on a CPU with bf16) and by under 2e-6 in fp32.
const RUN = ['--size', '16', '--width', '4', '--epochs', '3', '--batch', '16', '--no-cache', '--tta', '1', '--threads', '1', '--precision', 'fp32'];

function group(worldSize: number, rank: number, port: number, timeout = 20): string[] {
  return ['--world-size', String(worldSize), '--rank', String(rank), '--master', `127.0.0.1:${port}`, '--timeout', String(timeout)];
}

/** Runs one `wbc` per argument list at once and waits for all. */
async function together(runs: string[][]): Promise<(CliResult & { signal: NodeJS.Signals | null })[]> {
  return Promise.all(runs.map((args) => startWbc(args).finished));
}

function history(model: string): { loss: number; validationAccuracy: number }[] {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')).training.history;
}

function assertSameTraining(alone: string, grouped: string): void {
  const [a, b] = [history(alone), history(grouped)];
  assert.equal(a.length, b.length);
  a.forEach((epoch, i) => {
    assert.ok(Math.abs(epoch.loss - b[i].loss) < 1e-4, `epoch ${i + 1}: loss ${epoch.loss} alone, ${b[i].loss} in a group`);
    assert.equal(epoch.validationAccuracy, b[i].validationAccuracy, `epoch ${i + 1}'s validation accuracy`);
  });
}

async function waitForFile(file: string, run: RunningCli): Promise<void> {
  let ended = false;
  void run.finished.then(() => { ended = true; });
  while (!fs.existsSync(file)) {
    assert.ok(!ended, `the run ended before ${file} appeared`);
    await delay(10);
  }
}

describe('wbc train and classify as a group of processes on loopback', () => {
  const root = makeTempDir();
  const data = path.join(root, 'data');
  const alone = path.join(root, 'alone');
  const grouped = path.join(root, 'grouped');

  before(async () => {
    await makeLabelledFolder(data, 40);
    const single = wbc(['train', data, '--out', alone, ...RUN]);
    assert.equal(single.status, 0, single.stderr);
  });

  test('two ranks train the model one process trains, rank 0 writes it and rank 1 writes nothing', async () => {
    const port = await freePort();
    const follower = path.join(root, 'follower-out');
    const [rank0, rank1] = await together([
      ['train', data, '--out', grouped, ...RUN, ...group(2, 0, port)],
      ['train', data, '--out', follower, ...RUN, ...group(2, 1, port)],
    ]);
    assert.equal(rank0.status, 0, rank0.stderr);
    assert.equal(rank1.status, 0, rank1.stderr);
    assert.match(rank1.stdout, /Rank 1 of 2 done; rank 0 writes the model/);
    assert.ok(!fs.existsSync(follower), 'rank 1 must not write a model folder');
    assertSameTraining(alone, grouped);
    const info = (model: string) => JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
    assert.equal(info(grouped).training.worldSize, 2);
    assert.equal(info(alone).training.worldSize, undefined);
    const [a, b] = [alone, grouped].map((model) => JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')).testMetrics.accuracy);
    assert.ok(Math.abs(a - b) <= 0.05, `test accuracy ${a} alone, ${b} in a group`);
  });

  test('sharded classify writes the CSV and differential one process writes, byte for byte', async () => {
    const images = path.join(root, 'images');
    for (const [i, cls] of ['red', 'green', 'blue'].entries()) {
      fs.mkdirSync(path.join(images, `slide-${i}`), { recursive: true });
      for (let j = 0; j < 7; j += 1) fs.copyFileSync(path.join(data, cls, `${j}.png`), path.join(images, `slide-${i}`, `${cls}-${j}.png`));
    }
    const single = wbc(['classify', alone, images, '--out', path.join(root, 'single.csv'), '--threads', '1']);
    assert.equal(single.status, 0, single.stderr);
    const port = await freePort();
    // The environment's conventions (torchrun's) instead of flags.
    const env = (rank: number) => ({ WORLD_SIZE: '2', RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
    const runs = [0, 1].map((rank) => startWbc(['classify', alone, images, '--out', path.join(root, `sharded-${rank}.csv`), '--threads', '1'], env(rank)).finished);
    const [rank0, rank1] = await Promise.all(runs);
    assert.equal(rank0.status, 0, rank0.stderr);
    assert.equal(rank1.status, 0, rank1.stderr);
    assert.ok(!fs.existsSync(path.join(root, 'sharded-1.csv')), 'rank 1 must not write a CSV');
    assert.equal(fs.readFileSync(path.join(root, 'sharded-0.csv'), 'utf8'), fs.readFileSync(path.join(root, 'single.csv'), 'utf8'));
    assert.equal(fs.readFileSync(path.join(root, 'sharded-0-differential.csv'), 'utf8'), fs.readFileSync(path.join(root, 'single-differential.csv'), 'utf8'));
    assert.equal(fs.readFileSync(path.join(root, 'single.csv'), 'utf8').trim().split('\n').length, 1 + 21);
  });

  test('a killed rank ends the other within the timeout with one line naming it; --resume finishes the run as a group', async () => {
    const port = await freePort();
    const model = path.join(root, 'interrupted');
    const timeout = 8;
    const rank0 = startWbc(['train', data, '--out', model, ...RUN, ...group(2, 0, port, timeout)]);
    const rank1 = startWbc(['train', data, '--out', path.join(root, 'unused'), ...RUN, ...group(2, 1, port, timeout)]);
    await waitForFile(path.join(model, 'checkpoint', 'progress.json'), rank0);
    rank1.child.kill('SIGKILL');
    const killedAt = Date.now();
    const result = await rank0.finished;
    assert.ok(Date.now() - killedAt < (timeout + 5) * 1000, 'rank 0 outlived the timeout');
    if (result.status === 0) return void assert.fail('rank 0 finished before rank 1 was killed; the run is too short for this test');
    assertCleanFailure(result, /rank 1/);
    assert.ok(!fs.existsSync(path.join(model, 'model.json')));

    const port2 = await freePort();
    const [resumed0, resumed1] = await together([
      ['train', data, '--out', model, '--resume', ...RUN, ...group(2, 0, port2)],
      ['train', data, '--out', path.join(root, 'unused'), '--resume', ...RUN, ...group(2, 1, port2)],
    ]);
    assert.equal(resumed0.status, 0, resumed0.stderr);
    assert.equal(resumed1.status, 0, resumed1.stderr);
    assert.match(resumed0.stdout + resumed0.stderr, /resuming the interrupted run after epoch/);
    assertSameTraining(alone, model);
  });

  test('in a group of three, both ranks left name the one that was killed', async () => {
    const port = await freePort();
    const model = path.join(root, 'three');
    const three = [...RUN, '--batch', '18', '--epochs', '30'];
    const runs = [0, 1, 2].map((rank) => startWbc(['train', data, '--out', rank === 0 ? model : path.join(root, `three-${rank}`), ...three, ...group(3, rank, port, 20)]));
    await waitForFile(path.join(model, 'checkpoint', 'progress.json'), runs[0]);
    runs[2].child.kill('SIGKILL');
    for (const run of runs.slice(0, 2)) assertCleanFailure(await run.finished, /lost rank 2 during/);
  });

  test('ranks whose data differ both stop with one line saying so', async () => {
    const other = path.join(root, 'other-data');
    fs.cpSync(data, other, { recursive: true });
    fs.copyFileSync(path.join(data, 'red', '0.png'), path.join(other, 'red', '1.png'));
    const port = await freePort();
    const results = await together([
      ['train', data, '--out', path.join(root, 'mismatch'), ...RUN, ...group(2, 0, port)],
      ['train', other, '--out', path.join(root, 'mismatch-1'), ...RUN, ...group(2, 1, port)],
    ]);
    for (const result of results) assertCleanFailure(result, /data folder .* differs between ranks: rank 1 does not have rank 0's/);
    assert.ok(!fs.existsSync(path.join(root, 'mismatch')), 'rank 0 must leave no model folder behind');
  });

  test('a rank that never comes, a busy port, a wrong world size and a taken rank are one-line errors', async () => {
    const lonely = wbc(['train', data, '--out', path.join(root, 'lonely'), ...RUN, ...group(2, 0, await freePort(), 2)]);
    assertCleanFailure(lonely, /rank 1 of 2 did not join within 2 s/);

    const busyPort = await freePort();
    const holder = startWbc(['train', data, '--out', path.join(root, 'holder'), ...RUN, ...group(2, 0, busyPort, 6)]);
    await delay(1500);
    const busy = wbc(['train', data, '--out', path.join(root, 'busy'), ...RUN, ...group(2, 0, busyPort, 2)]);
    assertCleanFailure(busy, new RegExp(`port ${busyPort} is busy`));

    const wrongSize = wbc(['train', data, '--out', path.join(root, 'wrong'), ...RUN, '--batch', '18', ...group(3, 1, busyPort, 2)]);
    assertCleanFailure(wrongSize, /world size mismatch: this process was started with world size 3, rank 0 with 2/);
    // Rank 0 hears of the refusal at once rather than waiting for its timeout.
    const holderResult = await holder.finished;
    assertCleanFailure(holderResult, /rank 1 refused to join: world size mismatch/);

    const port = await freePort();
    const three = [...RUN, '--batch', '18'];
    const first = startWbc(['train', data, '--out', path.join(root, 'taken-0'), ...three, ...group(3, 0, port, 3)]);
    const second = startWbc(['train', data, '--out', path.join(root, 'taken-1'), ...three, ...group(3, 1, port, 3)]);
    const third = startWbc(['train', data, '--out', path.join(root, 'taken-2'), ...three, ...group(3, 1, port, 3)]);
    const outcomes = await Promise.all([first, second, third].map((run) => run.finished));
    const taken = outcomes.filter((outcome) => /rank 1 is already taken by another process of this group/.test(outcome.stderr));
    assert.equal(taken.length, 1, outcomes.map((outcome) => outcome.stderr).join('\n'));
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 1);
      assert.ok(!hasStackTrace(outcome.stderr), outcome.stderr);
    }
  });
});
