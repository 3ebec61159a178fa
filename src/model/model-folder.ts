import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AugmentPolicy } from '../augment/policy';
import type { Metrics } from '../evaluate/metrics';
import type { CalibrationInfo, OutOfScopeInfo } from '../trust/trust-info';
import { native, nativeMessage, type InputSpec, type NativeEngine, type NetworkSpec } from '../native/binding';
import { replaceFileAtomic, writeFileAtomic } from '../util/atomic-write';
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
  /** SHA-256 of weights.pt, so that a reader never pairs this description with other weights (absent in older models). */
  weightsSha256?: string;
  /** Temperatures and review thresholds per test-time view count (absent in models from before calibration). */
  calibration?: CalibrationInfo;
  /** The out-of-scope score, its threshold and its statistics file with that file's SHA-256 (absent in older models). */
  outOfScope?: OutOfScopeInfo;
}

export interface LoadedModel {
  info: ModelInfo;
  engine: NativeEngine;
  /** The out-of-scope statistics file named in info.outOfScope, checked against its hash. */
  outOfScopeBytes?: Uint8Array;
}

export function newEngine(network: NetworkSpec, input: InputSpec, options: { device: 'cpu' | 'cuda'; bfloat16: boolean; seed: number }): NativeEngine {
  const { Engine } = native();
  return new Engine({ network, input, ...options });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes weights, then model.json last, each atomically: a folder with a model.json always holds a
 * complete model. model.json carries the weights' hash, because a reader that opens model.json just
 * before a replacement and weights.pt just after it would otherwise pair the old description with the new weights.
 */
export function saveModel(dir: string, info: ModelInfo, engine: NativeEngine, files: { name: string; bytes: Uint8Array }[] = []): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileAtomic(path.join(dir, file.name), file.bytes);
  const weights = path.join(dir, WEIGHTS_FILE);
  let weightsSha256 = '';
  try {
    replaceFileAtomic(weights, (temporary) => {
      engine.save(temporary, false);
      weightsSha256 = sha256(fs.readFileSync(temporary));
    });
  } catch (error) {
    throw new WbcError(`cannot write ${weights}: ${nativeMessage(error)}`);
  }
  writeFileAtomic(path.join(dir, INFO_FILE), `${JSON.stringify({ ...info, weightsSha256 }, null, 2)}\n`);
}

/** SHA-256 of the folder's model.json, or null when it holds no finished model: tells one model from another. */
export function modelFingerprint(dir: string): string | null {
  try {
    return sha256(fs.readFileSync(path.join(dir, INFO_FILE)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new WbcError(`cannot read ${path.join(dir, INFO_FILE)} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
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

function sleep(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** How long a reader waits for a model being replaced to become whole again before calling it damaged. */
const REPLACEMENT_RETRIES = 20;
const RETRY_MILLISECONDS = 100;

/** model.json and the weights it describes, read as one consistent pair. */
function readMatchingPair(dir: string): { info: ModelInfo; weights: Buffer; outOfScopeBytes?: Buffer } {
  const file = path.join(dir, WEIGHTS_FILE);
  const read = (name: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, name));
    } catch (error) {
      throw new WbcError(`cannot read ${path.join(dir, name)} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
  };
  for (let attempt = 0; ; attempt += 1) {
    const info = readModelInfo(dir);
    if (info.outOfScope && path.basename(String(info.outOfScope.file)) !== info.outOfScope.file) {
      throw new WbcError(`${path.join(dir, INFO_FILE)} names an out-of-scope file outside the model folder`);
    }
    const weights = read(WEIGHTS_FILE);
    const outOfScopeBytes = info.outOfScope ? read(info.outOfScope.file) : undefined;
    const weightsMatch = info.weightsSha256 === undefined || sha256(weights) === info.weightsSha256;
    const outOfScopeMatches = !info.outOfScope || sha256(outOfScopeBytes as Buffer) === info.outOfScope.sha256;
    if (weightsMatch && outOfScopeMatches) return { info, weights, outOfScopeBytes };
    if (attempt === REPLACEMENT_RETRIES) {
      throw new WbcError(`${weightsMatch ? path.join(dir, info.outOfScope!.file) : file} does not match ${INFO_FILE} (the model folder is damaged, or still being replaced)`);
    }
    sleep(RETRY_MILLISECONDS);
  }
}

export function loadModel(dir: string, options: { device: 'cpu' | 'cuda'; bfloat16: boolean }): LoadedModel {
  const { info, weights, outOfScopeBytes } = readMatchingPair(dir);
  const engine = newEngine(info.network, info.input, { ...options, seed: 0 });
  try {
    engine.load(weights, false);
  } catch (error) {
    throw new WbcError(`cannot load the weights in ${dir}: ${nativeMessage(error)}`);
  }
  return { info, engine, outOfScopeBytes };
}
