import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_AUGMENT_POLICY, sampleAugmentation, type AugmentPolicy } from '../augment/policy';
import { requireClasses, scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import { openPixelCache } from '../data/pixel-cache';
import { stratifiedSplit } from '../data/split';
import { channelStatistics } from '../data/statistics';
import { computeMetrics } from '../evaluate/metrics';
import { networkSpec, storedSizeFor } from '../model/architecture';
import { newEngine, saveModel, type Balance, type EpochRecord, type ModelInfo } from '../model/model-folder';
import { argmaxRows, predictProbabilities } from '../model/predict';
import { native, nativeMessage, type NativeEngine } from '../native/binding';
import { setUpRuntime, type DeviceChoice } from '../native/runtime';
import { calibrateModel, checkCalibrationOptions } from '../trust/calibrate';
import { removeLeftoverTemporaries } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import { Rng } from '../util/rng';
import { CheckpointFolder, describeMismatch, type Checkpoint, type RunIdentity } from './checkpoint';
import { classCounts, epochOrder, inverseFrequencyWeights } from './class-balance';
import { EpochSelector } from './epoch-selector';
import type { TrainingListener } from './events';
import { fitLinearHead } from './fit-head';
import { planOutFolder } from './out-folder';
import { oneCycleLearningRate } from './schedule';
import { smoteOversample } from './smote';

export interface TrainOptions {
  /** The model folder to create. */
  out: string;
  /** Replace an existing, non-empty model folder, or discard an interrupted run's checkpoint in it. */
  force?: boolean;
  /** Continue the interrupted run whose checkpoint is in `out` (same data and options required). */
  resume?: boolean;
  epochs?: number;
  batchSize?: number;
  /** Channels of the first stage; later stages double it. */
  width?: number;
  /** Side of the network input in pixels. */
  inputSize?: number;
  /** Fraction of the image's centred square that the network sees. */
  crop?: number;
  testFraction?: number;
  /** Fraction of the training split kept apart to pick the best epoch and the review threshold. */
  validationFraction?: number;
  seed?: number;
  balance?: Balance;
  learningRate?: number;
  weightDecay?: number;
  labelSmoothing?: number;
  /** Stop after this many epochs without a better validation accuracy. */
  patience?: number;
  testTimeViews?: number;
  augment?: AugmentPolicy;
  /** Use at most this many images of each class (seeded choice): for quick trials. */
  maxPerClass?: number;
  device?: DeviceChoice;
  threads?: number;
  /** Where decoded pixels are cached between runs; null turns the cache off. */
  cacheDir?: string | null;
  onEvent?: TrainingListener;
  /** Review target: the 95% upper bound of the error among accepted calibration predictions (default 0.015). */
  maxAcceptedError?: number;
  /** Share of in-scope calibration images the out-of-scope threshold flags (default 0.05). */
  outOfScopeRate?: number;
}

/**
 * Chosen by measurement (README, "How the defaults were chosen"): a sweep of widths 16–24, inputs of
 * 64–80 px and 20–40 epochs scored within about half a point of each other; epochs and test-time
 * views paid most, so the default spends its CPU time there. Widths are kept to multiples of 16,
 * the channel block of oneDNN's AVX-512 kernels: width 20 trained half as fast as width 16.
 */
export const TRAIN_DEFAULTS = {
  epochs: 40,
  batchSize: 64,
  width: 16,
  inputSize: 64,
  crop: 0.75,
  testFraction: 0.2,
  validationFraction: 0.1,
  seed: 1,
  balance: 'weights' as Balance,
  learningRate: 3e-3,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  patience: 10,
  testTimeViews: 8,
};

export interface TrainResult {
  dir: string;
  info: ModelInfo;
  warnings: string[];
}

function limitPerClass(folder: ImageFolder, maxPerClass: number | undefined, seed: number): ImageFolder {
  if (!maxPerClass) return folder;
  const rng = new Rng(seed);
  const chosen = folder.classes.flatMap((_, label) => rng.shuffle(folder.images.filter((image) => image.label === label)).slice(0, maxPerClass));
  chosen.sort((a, b) => a.label - b.label || (a.path < b.path ? -1 : 1));
  return { ...folder, images: chosen };
}

function accuracyOf(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i += 1) if (predicted[i] === truth[i]) correct += 1;
  return predicted.length ? correct / predicted.length : 0;
}

/** The settings a resumed run must share with the interrupted one; the rest (views, device, threads) may change. */
function optionsThatShapeTraining(settings: Settings): Record<string, unknown> {
  const { epochs, batchSize, width, inputSize, crop, testFraction, validationFraction, seed, balance, learningRate, weightDecay, labelSmoothing, patience } = settings;
  return {
    epochs, batchSize, width, inputSize, crop, testFraction, validationFraction, seed, balance, learningRate, weightDecay, labelSmoothing, patience,
    augment: settings.augment ?? DEFAULT_AUGMENT_POLICY,
    maxPerClass: settings.maxPerClass ?? null,
  };
}

/**
 * Trains a classifier on a labelled image folder and writes a complete model folder. Progress is
 * checkpointed in <out>/checkpoint/ after every epoch, so that `resume` can finish an interrupted run.
 */
export async function train(dataDir: string, options: TrainOptions): Promise<TrainResult> {
  const settings = { ...TRAIN_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Settings;
  const emit = options.onEvent ?? (() => {});
  const started = Date.now();
  if (!(Number.isInteger(settings.epochs) && settings.epochs >= 1)) throw new WbcError(`epochs must be a whole number of at least 1, got ${settings.epochs}`);
  checkCalibrationOptions(options);
  const checkpoints = new CheckpointFolder(options.out);
  const plan = planOutFolder(options.out, checkpoints, { force: options.force ?? false, resume: options.resume ?? false });
  if (plan.note) emit({ type: 'note', text: plan.note });
  const runtime = setUpRuntime({ device: options.device, threads: options.threads });

  const folder = limitPerClass(scanImageFolder(dataDir), options.maxPerClass, settings.seed);
  requireClasses(folder, 2);
  const warnings = [...folder.warnings];
  const classes = folder.classes;
  const labels = folder.images.map((image) => image.label);

  // Hold out the test split first; validation then comes out of what is left.
  const { keep, holdOut: test } = stratifiedSplit(labels, settings.testFraction, settings.seed);
  const keepSplit = stratifiedSplit(keep.map((i) => labels[i]), settings.validationFraction, settings.seed + 1);
  const trainImages = keepSplit.keep.map((i) => keep[i]);
  const validationImages = keepSplit.holdOut.map((i) => keep[i]);

  const storedSize = storedSizeFor(settings.inputSize, settings.crop);
  const cache = openPixelCache(options.cacheDir);
  const loaded = await loadImages(folder.images.map((image) => image.path), storedSize, {
    cache,
    onProgress: (done, total) => emit({ type: 'decode', done, total }),
  });
  for (const skipped of loaded.skipped) warnings.push(`skipped ${skipped.reason}`);
  if (cache?.warning) warnings.push(cache.warning);

  // Positions in the pixel buffer of each split's images that decoded.
  const slotOf = new Int32Array(folder.images.length).fill(-1);
  loaded.loaded.forEach((imageIndex, slot) => { slotOf[imageIndex] = slot; });
  const slotsOf = (images: number[]) => Int32Array.from(images.map((i) => slotOf[i]).filter((slot) => slot >= 0));
  const trainSlots = slotsOf(trainImages);
  const validationSlots = slotsOf(validationImages);
  const testSlots = slotsOf(test);
  const slotLabels = Int32Array.from(loaded.loaded, (imageIndex) => labels[imageIndex]);
  const labelsAt = (slots: Int32Array) => Int32Array.from(slots, (slot) => slotLabels[slot]);
  const trainCounts = classCounts(labelsAt(trainSlots), classes.length);
  const missing = classes.filter((_, label) => trainCounts[label] === 0);
  if (missing.length) throw new WbcError(`no readable training images left for: ${missing.join(', ')}`);
  if (testSlots.length === 0) throw new WbcError('no readable test images; add images or raise --test-fraction');

  const { mean, std } = channelStatistics(loaded.pixels, storedSize, settings.inputSize, trainSlots);
  const relative = (slots: Int32Array) => Array.from(slots, (slot) => path.relative(folder.root, folder.images[loaded.loaded[slot]].path));
  const split = { train: relative(trainSlots), validation: relative(validationSlots), test: relative(testSlots) };
  const run: RunIdentity = { options: optionsThatShapeTraining(settings), split, mean, std };
  const mismatch = plan.resumeFrom && describeMismatch(plan.resumeFrom.run, run, dataDir);
  if (mismatch) throw new WbcError(`cannot resume: ${mismatch}`);

  const input = { inputSize: settings.inputSize, storedSize, mean, std };
  const network = networkSpec(settings.width, classes.length);
  const engine = newEngine(network, input, { device: runtime.device, bfloat16: runtime.bfloat16, seed: settings.seed });
  engine.configureTraining({
    weightDecay: settings.weightDecay,
    labelSmoothing: settings.labelSmoothing,
    classWeights: settings.balance === 'weights' ? inverseFrequencyWeights(trainCounts) : new Float32Array(classes.length).fill(1),
  });

  fs.mkdirSync(options.out, { recursive: true });
  removeLeftoverTemporaries(options.out);
  if (plan.resumeFrom) {
    checkpoints.removeAllBut(plan.resumeFrom);
    checkpoints.loadState(engine, plan.resumeFrom);
    const done = plan.resumeFrom.finished ? 'all epochs' : `epoch ${plan.resumeFrom.epoch} of ${settings.epochs}`;
    emit({ type: 'note', text: `resuming the interrupted run after ${done}` });
  } else {
    checkpoints.remove();
    checkpoints.begin();
  }
  const last = trainEpochs({
    engine, pixels: loaded.pixels, trainSlots, slotLabels, validationSlots, classCount: classes.length, settings, emit,
    checkpoints, fixed: { run, replacesModel: plan.replacesModel }, resumeFrom: plan.resumeFrom, started,
  });
  checkpoints.loadKept(engine, last);
  if (settings.balance === 'smote') {
    emit({ type: 'note', text: 'refitting the classifier head on SMOTE-balanced features' });
    refitHeadOnBalancedFeatures(engine, loaded.pixels, trainSlots, labelsAt(trainSlots), classes.length, settings.seed);
  }

  const views = settings.testTimeViews;
  const trust = calibrateModel({
    engine, pixels: loaded.pixels, trainSlots, trainLabels: labelsAt(trainSlots), validationSlots, validationLabels: labelsAt(validationSlots),
    classes: classes.length, maxAcceptedError: options.maxAcceptedError, outOfScopeRate: options.outOfScopeRate, seed: settings.seed,
  });
  const reviewThreshold = trust.calibration.byViews[String(views)].review.threshold;
  const testPredicted = argmaxRows(predictProbabilities(engine, loaded.pixels, testSlots, views), classes.length);
  const testMetrics = computeMetrics(classes, labelsAt(testSlots), testPredicted);

  const info: ModelInfo = {
    format: 'wbc-classifier-model',
    version: 1,
    createdAt: new Date().toISOString(),
    classes,
    network,
    input,
    testTimeViews: views,
    reviewThreshold,
    data: {
      root: path.resolve(dataDir),
      imagesPerClass: Object.fromEntries(classCounts(labels, classes.length).map((count, label) => [classes[label], count])),
      skipped: loaded.skipped,
    },
    split: {
      seed: settings.seed,
      testFraction: settings.testFraction,
      validationFraction: settings.validationFraction,
      ...split,
    },
    training: {
      epochs: settings.epochs,
      keptEpoch: validationSlots.length ? last.selector.kept : last.history.length,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      labelSmoothing: settings.labelSmoothing,
      balance: settings.balance,
      augment: settings.augment ?? DEFAULT_AUGMENT_POLICY,
      bfloat16: runtime.bfloat16,
      threads: runtime.threads,
      seconds: (plan.resumeFrom?.seconds ?? 0) + (Date.now() - started) / 1000,
      libtorch: native().libtorchVersion,
      history: last.history,
    },
    testMetrics,
    calibration: trust.calibration,
    outOfScope: trust.outOfScope,
  };
  saveModel(options.out, info, engine, trust.files);
  // Only now is the model complete; until here a kill leaves the checkpoint to resume from.
  checkpoints.remove();
  return { dir: options.out, info, warnings };
}

type Settings = typeof TRAIN_DEFAULTS & TrainOptions;

/** --balance smote: the network learns features from the data as it is; its last layer is then refit on SMOTE-balanced features. */
function refitHeadOnBalancedFeatures(engine: NativeEngine, pixels: Uint8Array, slots: Int32Array, labels: Int32Array, classes: number, seed: number): void {
  const features = engine.features(pixels, slots, null);
  const rng = new Rng(seed);
  const balanced = smoteOversample({ features, labels, size: engine.featureSize() }, classes, rng);
  const head = fitLinearHead(balanced, classes, rng);
  engine.setHead(head.weight, head.bias);
}

/** Images whose batch-norm statistics are averaged after each epoch: enough for steady statistics, few enough to be quick. */
const NORMALIZATION_SAMPLE = 2048;

interface EpochLoop {
  engine: NativeEngine;
  pixels: Uint8Array;
  trainSlots: Int32Array;
  slotLabels: Int32Array;
  validationSlots: Int32Array;
  classCount: number;
  settings: Settings;
  emit: TrainingListener;
  checkpoints: CheckpointFolder;
  /** The checkpoint fields that stay the same all run. */
  fixed: Pick<Checkpoint, 'run' | 'replacesModel'>;
  /** The checkpoint to go on from, its engine state already loaded. */
  resumeFrom?: Checkpoint;
  /** When this attempt began (Date.now()). */
  started: number;
}

/**
 * The epoch loop: one-cycle schedule, augmentation, validation and a checkpoint after each epoch.
 * Returns the last checkpoint, which names the kept epoch's weights.
 */
function trainEpochs(loop: EpochLoop): Checkpoint {
  const { engine, pixels, trainSlots, slotLabels, validationSlots, classCount, settings, emit, resumeFrom } = loop;
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
      if (indices.length < 2) continue;
      const batchLabels = Int32Array.from(indices, (slot) => slotLabels[slot]);
      let result;
      try {
        result = engine.trainStep(pixels, indices, batchLabels, sampleAugmentation(augment, indices.length, rng), learningRate);
      } catch (error) {
        throw new WbcError(`training step failed: ${nativeMessage(error)}`);
      }
      lossSum += result.loss * indices.length;
      correct += result.correct;
      seen += indices.length;
      const elapsedSeconds = secondsBefore + (Date.now() - loop.started) / 1000;
      emit({ type: 'step', epoch, epochs: settings.epochs, step: Math.ceil((start + 1) / settings.batchSize), stepsPerEpoch, loss: lossSum / seen, elapsedSeconds });
    }

    engine.recalibrateNormalization(pixels, normalizationSample);
    const validationAccuracy = validationSlots.length
      ? accuracyOf(argmaxRows(engine.predict(pixels, validationSlots, null), classCount), validationTruth)
      : 0;
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
    checkpoint = loop.checkpoints.save(engine, {
      epoch,
      step,
      finished: stopEarly || epoch === settings.epochs,
      history,
      selector: selector.getState(),
      rng: rng.getState(),
      seconds: secondsBefore + (Date.now() - loop.started) / 1000,
    }, loop.fixed, kept, checkpoint);
    emit({ type: 'epoch', epochs: settings.epochs, record, kept });
    if (stopEarly) {
      emit({ type: 'note', text: `stopping early: no better validation accuracy for ${settings.patience} epochs` });
      break;
    }
  }
  // The loop runs at least once (epochs >= 1), and each pass saves a checkpoint.
  return checkpoint as Checkpoint;
}
