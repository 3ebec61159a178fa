import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityAugmentation } from '../../src/augment/policy';
import { newEngine } from '../../src/model/model-folder';
import { native, type NativeEngine } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';
import { TINY_INPUT, TINY_NETWORK } from '../helpers/engines';
import { largestTimerGap } from '../helpers/event-loop';
import { assertRejected } from '../helpers/native-errors';

/** The tiny network on larger images, so that one call takes long enough to matter: 32 px, stored as 32 px. */
const INPUT = { ...TINY_INPUT, inputSize: 32, storedSize: 32 };
const IMAGES = 512;

function engine(): NativeEngine {
  const made = newEngine(TINY_NETWORK, INPUT, { device: 'cpu', bfloat16: false, seed: 1 });
  made.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]) });
  return made;
}

const rng = new Rng(4);
const pixels = Uint8Array.from({ length: IMAGES * INPUT.storedSize ** 2 * 3 }, () => rng.int(256));
const indices = Int32Array.from({ length: IMAGES }, (_, i) => i);
const labels = Int32Array.from(indices, (i) => i % 3);
const augment = identityAugmentation(IMAGES);
/** Each image four times: one prediction call long enough to matter. */
const manyIndices = Int32Array.from({ length: 4 * IMAGES }, (_, i) => i % IMAGES);
// One LibTorch thread, so that the other core is left to the JavaScript thread on a 2-core machine.
native().setThreads(1);

/**
 * Runs `work` while a 10 ms timer ticks; returns the largest gap between ticks, the whole work's time and
 * its longest single call (each call of `work` is timed through `timed`).
 */
async function whileTicking(work: (timed: <T>(call: () => Promise<T>) => Promise<T>) => Promise<void>): Promise<{ largestGap: number; total: number; longestCall: number }> {
  let longestCall = 0;
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await call();
    longestCall = Math.max(longestCall, performance.now() - started);
    return result;
  };
  const started = performance.now();
  const largestGap = await largestTimerGap(() => work(timed));
  return { largestGap, total: performance.now() - started, longestCall };
}

test('a 10 ms timer keeps firing while the engine predicts thousands of images and trains', async (t) => {
  const predicting = engine();
  const prediction = await whileTicking(async (timed) => {
    for (let repeat = 0; repeat < 4; repeat += 1) {
      const probabilities = await timed(() => predicting.predict(pixels, manyIndices, null));
      assert.equal(probabilities.length, manyIndices.length * 3);
    }
  });
  const training = engine();
  const steps = await whileTicking(async (timed) => {
    for (let step = 0; step < 4; step += 1) {
      const { loss } = await timed(() => training.trainStep(pixels, indices, labels, augment, 0.01));
      assert.ok(Number.isFinite(loss));
    }
  });
  for (const [what, run] of Object.entries({ prediction, steps })) {
    t.diagnostic(`${what}: ${run.total.toFixed(0)} ms in all, longest call ${run.longestCall.toFixed(0)} ms, largest timer gap ${run.largestGap.toFixed(0)} ms`);
    // Long enough that a call blocking the JavaScript thread would leave a gap of more than 100 ms.
    assert.ok(run.total > 300 && run.longestCall > 120, `${what}: the work took ${run.total.toFixed(0)} ms, its longest call ${run.longestCall.toFixed(0)} ms`);
    assert.ok(run.largestGap <= 100, `${what}: the timer paused for ${run.largestGap.toFixed(0)} ms`);
  }
});

test('an engine runs one call at a time: a second call while one is in flight is refused in one line', async () => {
  const busy = engine();
  const first = busy.predict(pixels, indices, null);
  const busyMessage = /^the engine is still running an earlier call; await it before making another$/;
  await assertRejected(() => busy.trainStep(pixels, indices, labels, augment, 0.01), busyMessage);
  await assertRejected(() => busy.predict(pixels, indices, null), busyMessage);
  assert.throws(() => busy.save('unused.pt', false), { message: busyMessage });
  assert.equal((await first).length, IMAGES * 3);
  // Once the first has settled, the engine takes calls again, a failed one included.
  await assertRejected(() => busy.predict(pixels, Int32Array.from([IMAGES]), null), /^indices\[0\] is 512, outside the pixel buffer of 512 images$/);
  assert.equal((await busy.features(pixels, indices.subarray(0, 2), null)).length, 2 * busy.featureSize());
});

test('results do not change when the caller rewrites its index and augmentation arrays during the call', async () => {
  const first = engine();
  const chosen = Int32Array.from([3, 1, 4]);
  const views = identityAugmentation(3);
  const expected = await first.predict(pixels, Int32Array.from(chosen), Float32Array.from(views));
  const pending = first.predict(pixels, chosen, views);
  chosen.fill(0);
  views.fill(Number.NaN);
  assert.deepEqual(await pending, expected);
});
