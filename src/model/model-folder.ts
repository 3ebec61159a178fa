import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AugmentPolicy } from '../augment/policy';
import type { Metrics } from '../evaluate/metrics';
import { native, nativeMessage, type InputSpec, type NativeEngine, type NetworkSpec } from '../native/binding';
import { temporaryPathFor, writeFileAtomic } from '../util/atomic-write';
import { WbcError } from '../util/errors';

const FORMAT = 'wbc-classifier-model';
const INFO_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.pt';

export type Balance = 'weights' | 'sampler' | 'none' | 'smote';

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  learningRate: number;
  seconds: number;
}

/** The images a model was trained, validated and tested on, as paths relative to the data folder. */
export interface SplitManifest {
  seed: number;
  testFraction: number;
  validationFraction: number;
  train: string[];
  validation: string[];
  test: string[];
}

/** Everything about a model except its weights: what `model.json` holds. */
export interface ModelInfo {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  classes: string[];
  network: NetworkSpec;
  input: InputSpec;
  /** Flips and quarter turns averaged at prediction time (1, 2, 4 or 8). */
  testTimeViews: number;
  /** Predictions less confident than this are marked for review. */
  reviewThreshold: number;
  data: { root: string; imagesPerClass: Record<string, number>; skipped: { path: string; reason: string }[] };
  split: SplitManifest;
  training: {
    epochs: number;
    /** The epoch whose weights were kept (see EpochSelector). */
    keptEpoch: number;
    batchSize: number;
    learningRate: number;
    weightDecay: number;
    labelSmoothing: number;
    balance: Balance;
    augment: AugmentPolicy;
    bfloat16: boolean;
    threads: number;
    seconds: number;
    libtorch: string;
    history: EpochRecord[];
  };
  /** Scores on the held-out test split. */
  testMetrics: Metrics;
}

export interface LoadedModel {
  info: ModelInfo;
  engine: NativeEngine;
}

export function newEngine(network: NetworkSpec, input: InputSpec, options: { device: 'cpu' | 'cuda'; bfloat16: boolean; seed: number }): NativeEngine {
  const { Engine } = native();
  return new Engine({ network, input, ...options });
}

/** Refuses to replace an existing model unless asked to, so no trained model is lost by accident. */
export function checkModelFolderFree(dir: string, force: boolean): void {
  if (force || !fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new WbcError(`${dir} exists and is not a folder`);
  if (fs.readdirSync(dir).length > 0) throw new WbcError(`${dir} already exists and is not empty; use --force to replace it`);
}

/** Writes weights, then model.json last: a folder with a model.json always holds a complete model. */
export function saveModel(dir: string, info: ModelInfo, engine: NativeEngine): void {
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, WEIGHTS_FILE);
  const temporary = temporaryPathFor(weights);
  try {
    engine.save(temporary, false);
    fs.renameSync(temporary, weights);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new WbcError(`cannot write ${weights}: ${nativeMessage(error)}`);
  }
  writeFileAtomic(path.join(dir, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

export function readModelInfo(dir: string): ModelInfo {
  const file = path.join(dir, INFO_FILE);
  if (!fs.existsSync(dir)) throw new WbcError(`no such model folder: ${dir}`);
  if (!fs.existsSync(file)) throw new WbcError(`${dir} is not a model folder (it has no ${INFO_FILE}); train one with \`wbc train\``);
  let info: ModelInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelInfo;
  } catch {
    throw new WbcError(`${file} is not valid JSON; the model folder is damaged`);
  }
  if (info?.format !== FORMAT || info.version !== 1) throw new WbcError(`${file} is not a wbc-classifier model description`);
  return info;
}

export function loadModel(dir: string, options: { device: 'cpu' | 'cuda'; bfloat16: boolean }): LoadedModel {
  const info = readModelInfo(dir);
  const engine = newEngine(info.network, info.input, { ...options, seed: 0 });
  try {
    engine.load(path.join(dir, WEIGHTS_FILE), false);
  } catch (error) {
    throw new WbcError(`cannot load the weights in ${dir}: ${nativeMessage(error)}`);
  }
  return { info, engine };
}
