// Run by group-training.test.ts as a child process (`node step-worker.js --worker WORLD RANK PORT`): trains
// one short epoch of the real epoch loop on synthetic images, alone (WORLD 1) or as one rank of a group, and
// prints the running loss after every step, the head's initial weights and every parameter and batch-norm
// statistic after training as JSON. Does nothing when
// the test runner loads it as a file of its own.
import { TRAIN_DEFAULTS } from '../../src/train/options';
import type { TrainSettings } from '../../src/train/options';
import { trainEpochs } from '../../src/train/epoch-loop';
import { Group } from '../../src/distributed/group';
import { networkSpec } from '../../src/model/architecture';
import { newEngine } from '../../src/model/model-folder';
import { native } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';

export const STORED = 20;
export const IMAGES = 70;

async function main(worldSize: number, rank: number, port: number): Promise<void> {
  native().setThreads(1);
  const rng = new Rng(11);
  const pixels = Uint8Array.from({ length: IMAGES * STORED * STORED * 3 }, () => rng.int(256));
  const slotLabels = Int32Array.from({ length: IMAGES }, (_, i) => i % 3);
  const trainSlots = Int32Array.from({ length: 60 }, (_, i) => i);
  const validationSlots = Int32Array.from({ length: 10 }, (_, i) => 60 + i);
  const settings: TrainSettings = { ...TRAIN_DEFAULTS, out: 'unused', epochs: 2, batchSize: 16, width: 4, inputSize: 16 };
  const engine = newEngine(networkSpec(settings.width, 3), { inputSize: 16, storedSize: STORED, mean: [120, 110, 130], std: [70, 60, 80] }, { device: 'cpu', bfloat16: false, seed: 5 });
  engine.configureTraining({ weightDecay: settings.weightDecay, labelSmoothing: settings.labelSmoothing, classWeights: Float32Array.from([1, 2, 0.5]) });
  const group = worldSize > 1 ? await Group.join({ worldSize, rank, masterAddress: '127.0.0.1', masterPort: port, timeoutSeconds: 60 }) : undefined;
  if (group) engine.joinGroup(group.handle);
  const initialHead = Array.from(engine.parameters()['head.weight'].data);
  // After every step, the epoch's running mean loss (the global batch's, on every rank).
  const losses: number[] = [];
  await trainEpochs({
    engine, pixels, trainSlots, slotLabels, validationSlots, classCount: 3, settings, started: Date.now(), group,
    emit: (event) => { if (event.type === 'step') losses.push(event.loss); },
  });
  const parameters = Object.fromEntries(Object.entries(engine.parameters()).map(([name, { data }]) => [name, Array.from(data)]));
  process.stdout.write(JSON.stringify({ losses, parameters, initialHead }));
}

if (process.argv[2] === '--worker') void main(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
