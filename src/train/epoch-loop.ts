import { DEFAULT_AUGMENT_POLICY, sampleAugmentation } from '../augment/policy';
import type { Group } from '../distributed/group';
import type { EpochRecord } from '../model/model-folder';
import { argmaxRows } from '../model/predict';
import { native, nativeMessage, type NativeEngine } from '../native/binding';
import { WbcError } from '../util/errors';
import { Rng } from '../util/rng';
import type { Checkpoint, CheckpointFolder } from './checkpoint';
import { epochOrder } from './class-balance';
import { EpochSelector } from './epoch-selector';
import type { TrainingListener } from './events';
import type { TrainSettings } from './options';
import { oneCycleLearningRate } from './schedule';

/** Training whose loss stopped being a number: the weights are lost, and nothing of the run is worth keeping. */
export class TrainingDiverged extends WbcError {}

/** Images whose batch-norm statistics are averaged after each epoch: enough for steady statistics, few enough to be quick. */
const NORMALIZATION_SAMPLE = 2048;

export interface EpochLoop {
  engine: NativeEngine;
  pixels: Uint8Array;
  trainSlots: Int32Array;
  slotLabels: Int32Array;
  validationSlots: Int32Array;
  classCount: number;
  settings: TrainSettings;
  emit: TrainingListener;
  /** Where checkpoints go: absent on the ranks of a group other than 0, which write nothing. */
  checkpoints?: CheckpointFolder;
  /** The checkpoint fields that stay the same all run. */
  fixed?: Pick<Checkpoint, 'run' | 'replacesModel'>;
  /** The checkpoint to go on from, its engine state already loaded. */
  resumeFrom?: Checkpoint;
  /** When this attempt began (Date.now()). */
  started: number;
  /** Data-parallel training: the engine has joined this group; rank 0 validates and decides for all. */
  group?: Group;
}

/** What rank 0 tells the others after each epoch's validation. */
interface EpochDecision {
  record: EpochRecord;
  kept: boolean;
  stopEarly: boolean;
}

function accuracyOf(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i += 1) if (predicted[i] === truth[i]) correct += 1;
  return predicted.length ? correct / predicted.length : 0;
}

function diverged(epoch: number, settings: TrainSettings): TrainingDiverged {
  return new TrainingDiverged(
    `training diverged in epoch ${epoch} (the loss is no longer a finite number) and was stopped; no model was written; try a lower --lr than ${settings.learningRate}`,
  );
}

/**
 * One training step on a global batch. In a group every rank draws the whole batch's augmentation (so that
 * its generator stays in step with one process's) and trains on its contiguous share of the rows.
 */
async function trainStep(loop: EpochLoop, indices: Int32Array, augmentRows: Float32Array, learningRate: number) {
  const { engine, pixels, slotLabels, group } = loop;
  if (!group) return await engine.trainStep(pixels, indices, Int32Array.from(indices, (slot) => slotLabels[slot]), augmentRows, learningRate);
  const { start, end } = group.share(indices.length);
  const mine = indices.subarray(start, end);
  const fields = native().augmentFields;
  return await engine.trainStep(pixels, mine, Int32Array.from(mine, (slot) => slotLabels[slot]), augmentRows.subarray(start * fields, end * fields), learningRate, start, indices.length);
}

/**
 * The epoch loop: one-cycle schedule, augmentation, validation and a checkpoint after each epoch.
 * Returns the last checkpoint, which names the kept epoch's weights (undefined on a rank of a group other
 * than 0, which saves none). Throws TrainingDiverged as soon as a step's loss is not finite.
 */
export async function trainEpochs(loop: EpochLoop): Promise<Checkpoint | undefined> {
  const { engine, pixels, trainSlots, slotLabels, validationSlots, classCount, settings, emit, resumeFrom, group } = loop;
  const leads = !group || group.isLeader;
  // A global batch too small to give every rank an image is skipped, as one process skips a batch of one.
  const smallestBatch = Math.max(2, group?.worldSize ?? 1);
  const rng = new Rng(settings.seed);
  const augment = settings.augment ?? DEFAULT_AUGMENT_POLICY;
  const stepsPerEpoch = Math.ceil(trainSlots.length / settings.batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const validationTruth = Int32Array.from(validationSlots, (slot) => slotLabels[slot]);
  const samples = Array.from(trainSlots);
  // Drawn before any resumed state is restored, so that it is the same sample in every attempt.
  const normalizationSample = Int32Array.from(rng.shuffle([...samples]).slice(0, NORMALIZATION_SAMPLE));
  const selector = new EpochSelector(validationSlots.length);
  const history: EpochRecord[] = [...(resumeFrom?.history ?? [])];
  const secondsBefore = resumeFrom?.seconds ?? 0;
  let step = resumeFrom?.step ?? 0;
  let checkpoint = resumeFrom;
  if (resumeFrom) {
    rng.setState(resumeFrom.rng);
    selector.setState(resumeFrom.selector);
    if (resumeFrom.finished) return resumeFrom;
  }

  for (let epoch = (resumeFrom?.epoch ?? 0) + 1; epoch <= settings.epochs; epoch += 1) {
    const epochStarted = Date.now();
    const order = epochOrder(samples, slotLabels, settings.balance === 'sampler' ? 'balanced' : 'shuffle', rng);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let learningRate = 0;
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const indices = Int32Array.from(order.slice(start, start + settings.batchSize));
      learningRate = oneCycleLearningRate(step, totalSteps, settings.learningRate);
      step += 1;
      // A batch of one cannot be batch-normalised; it is at most the ragged end of an epoch.
      if (indices.length < smallestBatch) continue;
      let result;
      try {
        result = await trainStep(loop, indices, sampleAugmentation(augment, indices.length, rng), learningRate);
      } catch (error) {
        throw new WbcError(`training step failed: ${nativeMessage(error)}`);
      }
      if (!Number.isFinite(result.loss)) throw diverged(epoch, settings);
      lossSum += result.loss * indices.length;
      correct += result.correct;
      seen += indices.length;
      const elapsedSeconds = secondsBefore + (Date.now() - loop.started) / 1000;
      emit({ type: 'step', epoch, epochs: settings.epochs, step: Math.ceil((start + 1) / settings.batchSize), stepsPerEpoch, loss: lossSum / seen, elapsedSeconds });
    }

    await engine.recalibrateNormalization(pixels, normalizationSample);
    let decision: EpochDecision | undefined;
    if (leads) {
      const validationProbabilities = validationSlots.length ? await engine.predict(pixels, validationSlots, null) : new Float32Array(0);
      if (!validationProbabilities.every(Number.isFinite)) throw diverged(epoch, settings);
      const validationAccuracy = validationSlots.length ? accuracyOf(argmaxRows(validationProbabilities, classCount), validationTruth) : 0;
      const record: EpochRecord = {
        epoch,
        loss: seen ? lossSum / seen : 0,
        trainAccuracy: seen ? correct / seen : 0,
        validationAccuracy,
        learningRate,
        seconds: (Date.now() - epochStarted) / 1000,
      };
      history.push(record);
      // Without a validation split every epoch is kept, so the last one wins.
      const kept = validationSlots.length === 0 || selector.record(epoch, validationAccuracy);
      const stopEarly = epoch < settings.epochs && validationSlots.length > 0 && selector.epochsSinceBest >= settings.patience;
      checkpoint = loop.checkpoints?.save(engine, {
        epoch,
        step,
        finished: stopEarly || epoch === settings.epochs,
        history,
        selector: selector.getState(),
        rng: rng.getState(),
        seconds: secondsBefore + (Date.now() - loop.started) / 1000,
      }, loop.fixed!, kept, checkpoint);
      decision = { record, kept, stopEarly };
    }
    // The other ranks follow rank 0's validation, epoch choice and early stop.
    if (group) decision = group.broadcast(decision, `epoch ${epoch}'s validation result`);
    const { record, kept, stopEarly } = decision!;
    emit({ type: 'epoch', epochs: settings.epochs, record, kept });
    if (stopEarly) {
      emit({ type: 'note', text: `stopping early: no better validation accuracy for ${settings.patience} epochs` });
      break;
    }
  }
  // The loop runs at least once (epochs >= 1), and each pass saves a checkpoint where there is a folder.
  return checkpoint;
}
