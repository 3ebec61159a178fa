import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_AUGMENT_POLICY } from '../augment/policy';
import { openPixelCache, type PixelCache } from '../data/pixel-cache';
import { SPLIT_METHOD } from '../data/split';
import { Group, fingerprint } from '../distributed/group';
import { computeMetrics } from '../evaluate/metrics';
import { networkSpec } from '../model/architecture';
import { newEngine, saveModel, type TrainedModelInfo } from '../model/model-folder';
import type { CalibrationInfo } from '../model/model-schema';
import { argmaxRows } from '../model/predict';
import { native, type NativeEngine } from '../native/binding';
import { setUpRuntime, type Precision, type Runtime } from '../native/runtime';
import { libtorchPredictor } from '../runtime/predictor';
import { calibrateModel } from '../trust/calibrate';
import type { Trust, ViewChoice } from '../trust/trust-model';
import { scoreWithTrust } from '../trust/trusted-scoring';
import { removeLeftoverTemporaries } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import { makeFolders } from '../util/folders';
import { checkOutputPaths } from '../util/output-paths';
import { Rng } from '../util/rng';
import { CheckpointFolder, describeMismatch, type Checkpoint, type RunIdentity } from './checkpoint';
import { classCounts, inverseFrequencyWeights } from './class-balance';
import { TrainingDiverged, trainEpochs } from './epoch-loop';
import type { TrainingListener } from './events';
import { fitLinearHead } from './fit-head';
import { resolveTrainSettings, type TrainOptions, type TrainSettings } from './options';
import { planOutFolder, type OutFolderPlan } from './out-folder';
import { smoteOversample } from './smote';
import { LOCK_FILE, acquireTrainingLock } from './train-lock';
import { labelsAt, prepareTrainingData, type TrainingData } from './training-data';

export { TRAIN_DEFAULTS, type TrainOptions } from './options';

export interface TrainResult {
  dir: string;
  info: TrainedModelInfo;
  warnings: string[];
}

/** What a rank other than 0 of a training group returns: rank 0 writes the model, on its machine. */
export interface FollowerResult {
  follower: { rank: number; worldSize: number };
  warnings: string[];
}

/** The settings a resumed run must share with the interrupted one; the rest (views, device, threads) may change. */
function optionsThatShapeTraining(settings: TrainSettings, precision: Precision): Record<string, unknown> {
  const { epochs, batchSize, width, inputSize, crop, testFraction, validationFraction, seed, balance, learningRate, weightDecay, labelSmoothing, patience } = settings;
  return {
    epochs, batchSize, width, inputSize, crop, testFraction, validationFraction, seed, balance, learningRate, weightDecay, labelSmoothing, patience,
    augment: settings.augment ?? DEFAULT_AUGMENT_POLICY,
    maxPerClass: settings.maxPerClass ?? null,
    groupBy: settings.groupBy ?? null,
    splitMethod: SPLIT_METHOD,
    precision,
  };
}

/**
 * Trains a classifier on a labelled image folder and writes a complete model folder. Every option is
 * checked, and the model folder is checked against the data folder, before any work; one run at a time
 * may train into a folder. Progress is checkpointed in <out>/checkpoint/ after every epoch, so that
 * `resume` can finish an interrupted run.
 */
export async function train(dataDir: string, options: TrainOptions & { distributed?: undefined }): Promise<TrainResult>;
/** With `distributed`, rank 0 returns the TrainResult and the other ranks a FollowerResult. */
export async function train(dataDir: string, options: TrainOptions): Promise<TrainResult | FollowerResult>;
export async function train(dataDir: string, options: TrainOptions): Promise<TrainResult | FollowerResult> {
  const settings = resolveTrainSettings(options);
  const emit = settings.onEvent ?? (() => {});
  const started = Date.now();
  const group = settings.distributed ? await Group.join(settings.distributed) : undefined;
  if (group && !group.isLeader) return trainAsFollower(dataDir, settings, group, emit, started);
  try {
    return await trainIntoFolder(dataDir, settings, emit, started, group);
  } catch (error) {
    group?.abandonStart(error);
    throw error;
  }
}

/** A single process, or rank 0 of a group: the only one that writes the model folder. */
async function trainIntoFolder(dataDir: string, settings: TrainSettings, emit: TrainingListener, started: number, group: Group | undefined): Promise<TrainResult> {
  const inputs = [{ path: dataDir, what: 'the image folder' }, ...(settings.nonWhite === undefined ? [] : [{ path: settings.nonWhite, what: 'the non-white folder' }])];
  checkOutputPaths([{ path: settings.out, option: '--out', kind: 'folder' }], inputs);
  const cache = openPixelCache(settings.cacheDir);
  const createdOut = !fs.existsSync(settings.out);
  makeFolders(settings.out);
  let lock;
  try {
    lock = acquireTrainingLock(settings.out);
    if (lock.note) emit({ type: 'note', text: lock.note });
    return await trainIntoLockedFolder(dataDir, settings, cache, emit, started, group);
  } finally {
    lock?.release();
    // A run that failed before writing anything leaves no empty folder behind.
    if (createdOut && fs.readdirSync(settings.out).every((name) => name === LOCK_FILE)) fs.rmSync(settings.out, { recursive: true, force: true });
  }
}

/** What every rank of a group must hold alike: the same images, split alike, and the same training options. */
function groupFingerprints(settings: TrainSettings, data: TrainingData, runtime: Runtime): Record<string, string> {
  return {
    'data folder (its images, their contents and the split)': fingerprint({ classes: data.classes, split: data.split, contentHashes: data.contentHashes }),
    'training options': fingerprint(optionsThatShapeTraining(settings, runtime.precision)),
  };
}

/**
 * A rank other than 0: it reads the same data, checks it against rank 0's, takes rank 0's resumed state if
 * any, and trains its share of every batch; it writes nothing (no model folder, no checkpoint).
 */
async function trainAsFollower(dataDir: string, settings: TrainSettings, group: Group, emit: TrainingListener, started: number): Promise<FollowerResult> {
  let data: TrainingData;
  let runtime: Runtime;
  try {
    runtime = setUpRuntime(settings);
    data = await prepareTrainingData(dataDir, settings, openPixelCache(settings.cacheDir), emit);
  } catch (error) {
    group.abandonStart(error);
    throw error;
  }
  group.agree(groupFingerprints(settings, data, runtime));
  const engine = trainingEngine(settings, data, runtime);
  const resumeFrom = group.broadcast<Checkpoint | null>(undefined, 'the resumed state') ?? undefined;
  if (resumeFrom) engine.load(group.broadcastBytes(undefined, 'the resumed state'), true);
  engine.joinGroup(group.handle);
  await trainEpochs({
    engine, pixels: data.pixels, trainSlots: data.trainSlots, slotLabels: data.slotLabels, validationSlots: data.validationSlots,
    classCount: data.classes.length, settings, emit, resumeFrom, started, group,
  });
  return { follower: { rank: group.rank, worldSize: group.worldSize }, warnings: [...runtime.warnings, ...data.warnings] };
}

async function trainIntoLockedFolder(
  dataDir: string, settings: TrainSettings, cache: PixelCache | undefined, emit: TrainingListener, started: number, group: Group | undefined,
): Promise<TrainResult> {
  const checkpoints = new CheckpointFolder(settings.out);
  const plan = planOutFolder(settings.out, checkpoints, { force: settings.force ?? false, resume: settings.resume ?? false });
  if (plan.note) emit({ type: 'note', text: plan.note });
  const runtime = setUpRuntime(settings);
  const data = await prepareTrainingData(dataDir, settings, cache, emit);
  const warnings = [...runtime.warnings, ...data.warnings];
  const run: RunIdentity = { options: optionsThatShapeTraining(settings, runtime.precision), split: data.split, mean: data.mean, std: data.std };
  const mismatch = plan.resumeFrom && describeMismatch(plan.resumeFrom.run, run, dataDir);
  if (mismatch) throw new WbcError(`cannot resume: ${mismatch}`);
  // Before anything is written: a group that cannot start leaves the folder as it was.
  group?.agree(groupFingerprints(settings, data, runtime));

  const engine = trainingEngine(settings, data, runtime);
  removeLeftoverTemporaries(settings.out);
  if (plan.resumeFrom) {
    checkpoints.removeAllBut(plan.resumeFrom);
    checkpoints.loadState(engine, plan.resumeFrom);
    const done = plan.resumeFrom.finished ? 'all epochs' : `epoch ${plan.resumeFrom.epoch} of ${settings.epochs}`;
    emit({ type: 'note', text: `resuming the interrupted run after ${done}` });
  } else {
    checkpoints.remove();
    checkpoints.begin();
  }
  if (group) {
    // The others start from this rank's state: its checkpoint's weights, optimiser and generator.
    group.broadcast(plan.resumeFrom ?? null, 'the resumed state');
    if (plan.resumeFrom) group.broadcastBytes(fs.readFileSync(path.join(checkpoints.dir, plan.resumeFrom.stateFile)), 'the resumed state');
    engine.joinGroup(group.handle);
  }
  let last: Checkpoint;
  try {
    // This rank saves a checkpoint every epoch, so there is one.
    last = (await trainEpochs({
      engine, pixels: data.pixels, trainSlots: data.trainSlots, slotLabels: data.slotLabels, validationSlots: data.validationSlots,
      classCount: data.classes.length, settings, emit, checkpoints, fixed: { run, replacesModel: plan.replacesModel }, resumeFrom: plan.resumeFrom, started, group,
    })) as Checkpoint;
  } catch (error) {
    // Resuming would only diverge again; the checkpoint would just make the corrected rerun be refused.
    if (error instanceof TrainingDiverged) checkpoints.remove();
    throw error;
  }
  checkpoints.loadKept(engine, last);
  if (settings.balance === 'smote') {
    emit({ type: 'note', text: 'refitting the classifier head on SMOTE-balanced features' });
    await refitHeadOnBalancedFeatures(engine, data, settings.seed);
  }

  const trust = await calibrateModel({
    engine, pixels: data.pixels, trainSlots: data.trainSlots, trainLabels: labelsAt(data, data.trainSlots), validationSlots: data.validationSlots,
    validationLabels: labelsAt(data, data.validationSlots), classes: data.classes.length, maxAcceptedError: settings.maxAcceptedError,
    outOfScopeRate: settings.outOfScopeRate, seed: settings.seed,
  });
  // The adaptive mode is the model's default only where training asked for it (--tta auto, the default).
  const { adaptive, ...fixedViews } = trust.calibration;
  const calibration = settings.testTimeViews === 'auto' ? trust.calibration : fixedViews;
  const info = {
    ...await describeTrainedModel(engine, data, settings, runtime, last, plan, started, calibration),
    calibration, outOfScope: trust.outOfScope, calibrationScores: trust.calibrationScores,
  };
  saveModel(settings.out, info, engine, trust.files);
  // Only now is the model complete; until here a kill leaves the checkpoint to resume from.
  checkpoints.remove();
  return { dir: settings.out, info: { format: 'wbc-classifier-model', version: 2, ...info }, warnings };
}

function trainingEngine(settings: TrainSettings, data: TrainingData, runtime: Runtime): NativeEngine {
  const input = { inputSize: settings.inputSize, storedSize: data.storedSize, mean: data.mean, std: data.std };
  const engine = newEngine(networkSpec(settings.width, data.classes.length), input, { device: runtime.device, bfloat16: runtime.bfloat16, seed: settings.seed });
  const trainCounts = classCounts(labelsAt(data, data.trainSlots), data.classes.length);
  engine.configureTraining({
    weightDecay: settings.weightDecay,
    labelSmoothing: settings.labelSmoothing,
    classWeights: settings.balance === 'weights' ? inverseFrequencyWeights(trainCounts) : new Float32Array(data.classes.length).fill(1),
  });
  return engine;
}

/** The test scores and the record of how the model was made. */
async function describeTrainedModel(
  engine: NativeEngine, data: TrainingData, settings: TrainSettings, runtime: Runtime, last: Checkpoint, plan: OutFolderPlan, started: number, calibration: CalibrationInfo,
): Promise<Omit<TrainedModelInfo, 'format' | 'version'>> {
  const classes = data.classes;
  // Scored as the model will score by default, so that `wbc evaluate --split test` reproduces these figures.
  const adaptive = calibration.adaptive;
  const views = adaptive ? adaptive.views : settings.testTimeViews as number;
  const reviewThreshold = adaptive ? adaptive.review.threshold : calibration.byViews[String(views)].review.threshold;
  const trust: Trust = { views: adaptive ? 'auto' : views as ViewChoice, temperature: 1, reviewThreshold, adaptive };
  const scored = await scoreWithTrust(libtorchPredictor(engine), data.pixels, data.testSlots, trust);
  const testPredicted = argmaxRows(scored.probabilities, classes.length);
  return {
    createdAt: new Date().toISOString(),
    classes,
    ...(data.nonWhite && { nonWhite: data.nonWhite }),
    network: networkSpec(settings.width, classes.length),
    input: { inputSize: settings.inputSize, storedSize: data.storedSize, mean: data.mean, std: data.std },
    testTimeViews: views,
    reviewThreshold,
    data: { imagesPerClass: data.imagesPerClass, skipped: data.skipped },
    split: {
      method: SPLIT_METHOD,
      seed: settings.seed,
      testFraction: settings.testFraction,
      validationFraction: settings.validationFraction,
      groupBy: settings.groupBy ?? null,
      ...data.split,
      contentHashes: data.contentHashes,
    },
    training: {
      epochs: settings.epochs,
      keptEpoch: data.validationSlots.length ? last.selector.kept : last.history.length,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      labelSmoothing: settings.labelSmoothing,
      balance: settings.balance,
      augment: settings.augment ?? DEFAULT_AUGMENT_POLICY,
      precision: runtime.precision,
      threads: runtime.threads,
      ...(settings.distributed && { worldSize: settings.distributed.worldSize }),
      seconds: (plan.resumeFrom?.seconds ?? 0) + (Date.now() - started) / 1000,
      libtorch: native().libtorchVersion,
      history: last.history,
    },
    testMetrics: computeMetrics(classes, labelsAt(data, data.testSlots), testPredicted),
  };
}

/** --balance smote: the network learns features from the data as it is; its last layer is then refit on SMOTE-balanced features. */
async function refitHeadOnBalancedFeatures(engine: NativeEngine, data: TrainingData, seed: number): Promise<void> {
  const features = await engine.features(data.pixels, data.trainSlots, null);
  const rng = new Rng(seed);
  const balanced = smoteOversample({ features, labels: labelsAt(data, data.trainSlots), size: engine.featureSize() }, data.classes.length, rng);
  const head = fitLinearHead(balanced, data.classes.length, rng);
  engine.setHead(head.weight, head.bias);
}
