import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import type { NativeEngine } from '../../src/native/binding';
import { CheckpointFolder } from '../../src/train/checkpoint';
import { TrainingDiverged, trainEpochs } from '../../src/train/epoch-loop';
import { TRAIN_DEFAULTS } from '../../src/train/options';
import { makeTempDir } from '../helpers/images';

/** An engine whose loss turns into NaN at the given step, as a too-high learning rate makes it. */
function engineDivergingAt(badStep: number): NativeEngine & { steps: number } {
  const engine = {
    steps: 0,
    trainStep() { engine.steps += 1; return { loss: engine.steps >= badStep ? Number.NaN : 1, correct: 0 }; },
    predict: (_pixels: Uint8Array, indices: Int32Array) => new Float32Array(indices.length * 2).fill(0.5),
    recalibrateNormalization() {},
    save(file: string) { fs.writeFileSync(file, 'weights'); },
  };
  return engine as unknown as NativeEngine & { steps: number };
}

test('training whose loss stops being finite ends at once with a message that suggests a lower learning rate', async () => {
  const dir = makeTempDir();
  const checkpoints = new CheckpointFolder(dir);
  checkpoints.begin();
  const engine = engineDivergingAt(3);
  const settings = { ...TRAIN_DEFAULTS, out: dir, epochs: 5, batchSize: 2, learningRate: 0.5 };
  await assert.rejects(
    () => trainEpochs({
      engine, pixels: new Uint8Array(0), trainSlots: Int32Array.from([0, 1, 2, 3]), slotLabels: Int32Array.from([0, 1, 0, 1]),
      validationSlots: new Int32Array(0), classCount: 2, settings, emit: () => {}, checkpoints,
      fixed: { run: { options: {}, split: { train: [], validation: [], test: [] }, mean: [], std: [] }, replacesModel: null }, started: Date.now(),
    }),
    (error: unknown) => error instanceof TrainingDiverged && /training diverged in epoch 2 .*no model was written; try a lower --lr than 0\.5/.test(error.message),
  );
  assert.equal(engine.steps, 3, 'no step after the first non-finite loss');
});
