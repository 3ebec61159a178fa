import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { freePort, runNode, type ProcessResult } from '../helpers/group';

const WORKER = path.join(__dirname, 'step-worker.js');

interface WorkerOutput {
  losses: number[];
  parameters: Record<string, number[]>;
  initialHead: number[];
}

function output(result: ProcessResult): WorkerOutput {
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as WorkerOutput;
}

function largestDifference(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((largest, x, i) => Math.max(largest, Math.abs(x - b[i])), 0);
}

test('two ranks of one thread train as one process does on the same global batch, up to floating-point order', async () => {
  const alone = output(await runNode(WORKER, ['--worker', '1', '0', '0']));
  const port = await freePort();
  const [rank0, rank1] = (await Promise.all([0, 1].map((rank) => runNode(WORKER, ['--worker', '2', String(rank), String(port)])))).map(output);

  // Two epochs of 4 steps (the last one ragged: 12 of 16 images), with the validation in between.
  assert.equal(alone.losses.length, 8);
  assert.deepEqual(rank0.losses, rank1.losses, 'every rank reports the global batch loss');
  // Measured: at most 2e-6 apart in the loss and 7e-5 in any weight or statistic (2026-11-26).
  assert.ok(largestDifference(alone.losses, rank0.losses) < 2e-5, `losses ${alone.losses} alone, ${rank0.losses} in a group`);
  for (const [name, values] of Object.entries(alone.parameters)) {
    // The ranks apply the same all-reduced gradients: their weights stay identical to the last bit.
    assert.deepEqual(rank0.parameters[name], rank1.parameters[name], `${name} differs between the ranks`);
    const scale = Math.max(1, ...values.map(Math.abs));
    const difference = largestDifference(values, rank0.parameters[name]);
    assert.ok(difference < 5e-4 * scale, `${name} differs from one process's by ${difference}`);
  }
  // Training moved the weights far more than the two runs differ.
  assert.ok(largestDifference(alone.initialHead, alone.parameters['head.weight']) > 1e-2);
  assert.deepEqual(alone.initialHead, rank0.initialHead, 'every rank starts from the same seeded weights');
});
