import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { Rng } from '../../src/util/rng';
import { BIN, assertCleanFailure, startWbc, wbc, type RunningCli } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

// Small enough to be quick, long enough (8 epochs) to be killed part-way. One thread, because the
// thread count changes LibTorch's arithmetic: with the same count a resumed run is bit-identical, in
// either precision (every run here uses the CPU's automatic one, and bf16 is as repeatable as fp32).
const RUN = ['--size', '16', '--width', '4', '--epochs', '8', '--no-cache', '--tta', '1', '--threads', '1'];
const DEAD_PID = 2 ** 22 + 1; // above Linux's largest pid: a writer that no longer runs

function progressFile(model: string): string {
  return path.join(model, 'checkpoint', 'progress.json');
}

/** Waits until `file` exists; false if the process ended first. */
async function waitForFile(file: string, run: RunningCli): Promise<boolean> {
  let ended = false;
  void run.finished.then(() => { ended = true; });
  while (!fs.existsSync(file)) {
    if (ended) return false;
    await delay(5);
  }
  return true;
}

/** Starts training and kills it with SIGKILL right after its first checkpoint. */
async function killAfterFirstCheckpoint(data: string, model: string): Promise<void> {
  const run = startWbc(['train', data, '--out', model, ...RUN]);
  assert.ok(await waitForFile(progressFile(model), run), 'training ended before its first checkpoint');
  run.child.kill('SIGKILL');
  const result = await run.finished;
  assert.equal(result.signal, 'SIGKILL', 'training finished before it could be killed');
  assert.ok(!fs.existsSync(path.join(model, 'model.json')));
}

/** The state letter in /proc/<pid>/stat (Z for a zombie). */
function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat[stat.lastIndexOf(')') + 2];
}

/**
 * Starts `wbc train` in a process group of its own under a parent that never collects its children's exit
 * status (as a container's PID 1 without an init does), so that once killed it stays a zombie.
 */
async function startUnreaped(args: string[]): Promise<{ pid: number; stopParent(): void }> {
  // setsid execs in place (a background job is no group leader), so $! is the trainer; the shell then becomes `sleep`.
  const parent = spawn('sh', ['-c', 'setsid "$0" "$@" & echo $!; exec sleep 600', process.execPath, BIN, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim().split('\n')[0])));
    parent.once('exit', () => reject(new Error('the non-reaping parent ended early')));
  });
  return { pid, stopParent: () => parent.kill('SIGKILL') };
}

function readInfo(model: string) {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8'));
}

/** The same training, epoch by epoch, and the same scores (timings aside). */
function assertSameModel(model: string, reference: string): void {
  const [actual, expected] = [readInfo(model), readInfo(reference)];
  const withoutTimes = (history: { seconds: number }[]) => history.map((record) => ({ ...record, seconds: 0 }));
  assert.deepEqual(withoutTimes(actual.training.history), withoutTimes(expected.training.history));
  assert.equal(actual.training.keptEpoch, expected.training.keptEpoch);
  assert.deepEqual(actual.split, expected.split);
  assert.deepEqual(actual.testMetrics, expected.testMetrics);
  assert.equal(actual.reviewThreshold, expected.reviewThreshold);
  assert.deepEqual(actual.calibration, expected.calibration);
  assert.deepEqual(actual.outOfScope, expected.outOfScope);
}

/** A finished model folder holds no checkpoint and no temporary files. */
function assertTidy(model: string): void {
  assert.deepEqual(fs.readdirSync(model).sort(), ['calibration-scores.bin', 'confusion-matrix.svg', 'model.json', 'out-of-scope.bin', 'weights.pt']);
}

describe('an interrupted training run resumes to the same model', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const reference = path.join(work, 'reference');
  /** How long the reference run's epochs took: kills are timed within that span, however fast the machine. */
  let epochsMs = 0;

  before(async () => {
    await makeLabelledFolder(data, 40);
    const trained = wbc(['train', data, '--out', reference, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
    epochsMs = readInfo(reference).training.history.reduce((sum: number, record: { seconds: number }) => sum + record.seconds * 1000, 0);
  });

  test('killed after a checkpoint, it is refused without --resume and resumed with it to the same model', async () => {
    const model = path.join(work, 'killed');
    await killAfterFirstCheckpoint(data, model);
    assertCleanFailure(wbc(['train', data, '--out', model, ...RUN]), /holds an interrupted training run \(\d of 8 epochs done\); continue it with --resume, or start again with --force/);

    const resumed = wbc(['train', data, '--out', model, '--resume', ...RUN]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming the interrupted run after epoch \d of 8/);
    assertSameModel(model, reference);
    assertTidy(model);
    // Bit-identical weights: the two models classify every image with the same probabilities.
    const csv = (name: string) => path.join(work, `${name}.csv`);
    for (const [name, dir] of [['resumed', model], ['reference', reference]]) {
      assert.equal(wbc(['classify', dir, path.join(data, 'red'), '--out', csv(name), '--threads', '1']).status, 0);
    }
    assert.equal(fs.readFileSync(csv('resumed'), 'utf8'), fs.readFileSync(csv('reference'), 'utf8'));
  });

  test('killed again and again at random moments, including mid-write, it still ends with the same model', async () => {
    const model = path.join(work, 'battered');
    const rng = new Rng(11);
    let killedWithCheckpoint = 0;
    for (let attempt = 0; attempt < 8 && !fs.existsSync(path.join(model, 'model.json')); attempt += 1) {
      const run = startWbc(['train', data, '--out', model, '--resume', ...RUN]);
      // Kill somewhere between the end of decoding and the end of the run.
      const decoded = new Promise<void>((resolve) => run.child.stderr?.on('data', (chunk: Buffer) => { if (/read \d+ images/.test(chunk.toString())) resolve(); }));
      await Promise.race([decoded, run.finished]);
      await delay(rng.int(Math.max(20, Math.round(epochsMs))));
      const hadCheckpoint = fs.existsSync(progressFile(model));
      run.child.kill('SIGKILL');
      const result = await run.finished;
      if (result.signal === 'SIGKILL') killedWithCheckpoint += hadCheckpoint ? 1 : 0;
      else assert.equal(result.status, 0, result.stderr);
    }
    assert.ok(killedWithCheckpoint > 0, 'no kill landed after a checkpoint');
    if (!fs.existsSync(path.join(model, 'model.json'))) {
      const resumed = wbc(['train', data, '--out', model, '--resume', ...RUN]);
      assert.equal(resumed.status, 0, resumed.stderr);
    }
    assertSameModel(model, reference);
  });

  test('what a kill during a checkpoint or model write leaves behind is ignored and removed', async () => {
    const model = path.join(work, 'torn');
    await killAfterFirstCheckpoint(data, model);
    const checkpoint = path.join(model, 'checkpoint');
    const progress = JSON.parse(fs.readFileSync(progressFile(model), 'utf8'));
    const state = fs.readFileSync(path.join(checkpoint, progress.stateFile));
    // Killed mid-write: torn temporary files; killed between renames: a next-epoch state that progress.json does not name.
    fs.writeFileSync(path.join(checkpoint, `.training-state-${progress.epoch + 1}.pt.${DEAD_PID}.7.tmp`), state.subarray(0, state.length >> 1));
    fs.writeFileSync(path.join(checkpoint, `training-state-${progress.epoch + 1}.pt`), state.subarray(0, 100));
    fs.writeFileSync(path.join(checkpoint, `.progress.json.${DEAD_PID}.8.tmp`), '{"format": "wbc-classifier-checkp');
    fs.writeFileSync(path.join(model, `.weights.pt.${DEAD_PID}.9.tmp`), state.subarray(0, 1000));

    const resumed = wbc(['train', data, '--out', model, '--resume', ...RUN]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assertSameModel(model, reference);
    assertTidy(model);
  });

  test('--resume refuses other options or other images, names a finished model, and is not mixed with --force', async () => {
    const model = path.join(work, 'mismatch');
    await killAfterFirstCheckpoint(data, model);
    const epochs = RUN.indexOf('--epochs') + 1;
    const otherEpochs = RUN.map((arg, i) => (i === epochs ? '9' : arg));
    assertCleanFailure(wbc(['train', data, '--out', model, '--resume', ...otherEpochs]), /cannot resume: the options differ from the interrupted run's \(epochs 8 then, 9 now\)/);
    const fewer = path.join(work, 'fewer');
    fs.cpSync(data, fewer, { recursive: true });
    fs.rmSync(path.join(fewer, 'green', '3.png'));
    assertCleanFailure(wbc(['train', fewer, '--out', model, '--resume', ...RUN]), /cannot resume: the images in .* are not those of the interrupted run/);
    const repainted = path.join(work, 'repainted');
    fs.cpSync(data, repainted, { recursive: true });
    fs.copyFileSync(path.join(data, 'red', '1.png'), path.join(repainted, 'red', '0.png'));
    assertCleanFailure(wbc(['train', repainted, '--out', model, '--resume', ...RUN]), /cannot resume: the images in .* have changed since the interrupted run began/);
    assertCleanFailure(wbc(['train', data, '--out', model, '--resume', '--force', ...RUN]), /give only one/);
    assert.ok(fs.existsSync(progressFile(model)), 'refusals leave the checkpoint alone');
    assertCleanFailure(wbc(['train', data, '--out', reference, '--resume', ...RUN]), /already holds a finished model, so there is nothing to resume/);
  });

  test('--force discards an interrupted run and trains afresh', async () => {
    const model = path.join(work, 'restarted');
    await killAfterFirstCheckpoint(data, model);
    const restarted = wbc(['train', data, '--out', model, '--force', ...RUN]);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.doesNotMatch(restarted.stderr, /resuming/);
    assertSameModel(model, reference);
    assertTidy(model);
  });

  test('killed with its whole process group and left a zombie, --resume takes the lock over at once, 10 times out of 10', async () => {
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const model = path.join(work, `zombie-${attempt}`);
      const trainer = await startUnreaped(['train', data, '--out', model, ...RUN]);
      try {
        while (!fs.existsSync(progressFile(model))) {
          assert.notEqual(processState(trainer.pid), 'Z', `attempt ${attempt}: training ended before its first checkpoint`);
          await delay(5);
        }
        process.kill(-trainer.pid, 'SIGKILL');
        while (processState(trainer.pid) !== 'Z') await delay(5);
        assert.ok(!fs.existsSync(path.join(model, 'model.json')), `attempt ${attempt}: training finished before it could be killed`);
        const resumed = wbc(['train', data, '--out', model, '--resume', ...RUN]);
        assert.equal(resumed.status, 0, `attempt ${attempt}: ${resumed.stderr}`);
        assert.match(resumed.stderr, /took over the lock of an earlier wbc train/);
        assertSameModel(model, reference);
      } finally {
        trainer.stopParent();
      }
    }
  });

  test('--resume where no run has begun trains from the first epoch', () => {
    const model = path.join(work, 'fresh');
    const result = wbc(['train', data, '--out', model, '--resume', ...RUN]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /training from the first epoch/);
    assertSameModel(model, reference);
  });
});
