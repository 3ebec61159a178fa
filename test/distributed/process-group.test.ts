import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Group } from '../../src/distributed/group';
import { networkSpec } from '../../src/model/architecture';
import { newEngine } from '../../src/model/model-folder';
import { native } from '../../src/native/binding';
import { freePort } from '../helpers/group';

function engine() {
  const made = newEngine(networkSpec(4, 3), { inputSize: 16, storedSize: 16, mean: [0, 0, 0], std: [1, 1, 1] }, { device: 'cpu', bfloat16: false, seed: 1 });
  made.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: Float32Array.from([1, 1, 1]) });
  return made;
}

test('a group of one exchanges with itself, and the engine checks how it is joined and stepped', async () => {
  const group = await Group.join({ worldSize: 1, rank: 0, masterAddress: '127.0.0.1', masterPort: await freePort(), timeoutSeconds: 5 });
  assert.deepEqual(group.allgather({ a: 1 }, 'a test'), [{ a: 1 }]);
  assert.deepEqual(group.broadcast([1, 2], 'a test'), [1, 2]);
  const values = Float32Array.from([1.5, -2]);
  group.handle.allreduceSum(values);
  assert.deepEqual(Array.from(values), [1.5, -2]);
  assert.deepEqual(group.share(10), { start: 0, end: 10 });

  const trained = engine();
  assert.throws(() => trained.joinGroup({} as never), /processGroup must be a ProcessGroup/);
  trained.joinGroup(group.handle);
  assert.throws(() => trained.joinGroup(group.handle), /already joined a process group/);
  const pixels = new Uint8Array(4 * 16 * 16 * 3).fill(100);
  const indices = Int32Array.from([0, 1, 2, 3]);
  const labels = Int32Array.from([0, 1, 2, 0]);
  const augment = new Float32Array(4 * native().augmentFields);
  for (let i = 0; i < 4; i += 1) augment.set([0, 1, 0, 0, 1, 1, 1, 1, 1], i * native().augmentFields);
  await assert.rejects(trained.trainStep(pixels, indices, labels, augment, 1e-3), /needs shareOffset and globalSize/);
  await assert.rejects(trained.trainStep(pixels, indices, labels, augment, 1e-3, 1, 4), /shareOffset must be a whole number from 0 to 0/);
  await assert.rejects(trained.trainStep(pixels, indices, labels, augment, 1e-3, 0, 3), /globalSize must be a whole number from 4/);
  const step = await trained.trainStep(pixels, indices, labels, augment, 1e-3, 0, 4);
  assert.ok(Number.isFinite(step.loss) && step.loss > 0);
});

test('createProcessGroup rejects bad options in one line', async () => {
  const { createProcessGroup } = native();
  await assert.rejects(createProcessGroup({ worldSize: 2, rank: 2, host: '127.0.0.1', port: 1, timeoutSeconds: 1 }), /^RangeError: rank must be a whole number from 0 to 1, got 2$/);
  await assert.rejects(createProcessGroup({ worldSize: 2, rank: 0, host: '127.0.0.1', port: 0, timeoutSeconds: 1 }), /port must be a whole number from 1 to 65535/);
  await assert.rejects(createProcessGroup({ worldSize: 2, rank: 1, host: 'no-such-host.invalid', port: 1, timeoutSeconds: 1 }), /cannot resolve|could not reach/);
});

test('waiting for the other ranks leaves the event loop free', async () => {
  const { createProcessGroup } = native();
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 10);
  try {
    // Rank 0 of two waits the whole second for a rank 1 that never comes.
    await assert.rejects(createProcessGroup({ worldSize: 2, rank: 0, host: '127.0.0.1', port: await freePort(), timeoutSeconds: 1 }), /^Error: rank 1 of 2 did not join within 1 s$/);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 20, `the timer fired ${ticks} times while the group waited`);
});
