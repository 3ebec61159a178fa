import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, nativeMessage, type InputSpec, type NativeEngine, type NetworkSpec } from '../native/binding';
import type { Precision } from '../native/runtime';
import { replaceFileAtomic, writeFileAtomic } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import { makeFolders } from '../util/folders';
import { readRegularFile } from '../util/safe-read';
import { MODEL_FORMAT, validateModelInfo, type ModelInfo } from './model-schema';

export type { Balance, EpochRecord, ModelInfo, SplitManifest, TrainedModelInfo } from './model-schema';

const INFO_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.pt';
/** The model format this build writes; it reads this one and version 1. */
const VERSION = 2;
/** Far above any model this tool makes (the default's weights are about 1.2 MB), far below what would hurt. */
const MAX_WEIGHTS_BYTES = 1024 ** 3;
const MAX_INFO_BYTES = 256 * 1024 ** 2;

/** The arithmetic a model was trained in, also for models that recorded it as `bfloat16`. */
export function trainingPrecision(training: NonNullable<ModelInfo['training']>): Precision {
  return training.precision ?? (training.bfloat16 ? 'bf16' : 'fp32');
}

export interface LoadedModel {
  info: ModelInfo;
  engine: NativeEngine;
  /** The out-of-scope statistics file named in info.outOfScope, checked against its hash. */
  outOfScopeBytes?: Uint8Array;
}

export function newEngine(network: NetworkSpec, input: InputSpec, options: { device: 'cpu' | 'cuda'; bfloat16: boolean; seed: number }): NativeEngine {
  const { Engine } = native();
  try {
    return new Engine({ network, input, ...options });
  } catch (error) {
    throw new WbcError(`cannot build the network: ${nativeMessage(error)}`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes weights, then model.json last, each atomically: a folder with a model.json always holds a
 * complete model. model.json carries the weights' hash, because a reader that opens model.json just
 * before a replacement and weights.pt just after it would otherwise pair the old description with the new weights.
 */
export function saveModel(dir: string, info: Omit<ModelInfo, 'version' | 'format'>, engine: NativeEngine, files: { name: string; bytes: Uint8Array }[] = []): void {
  makeFolders(dir);
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
  writeFileAtomic(path.join(dir, INFO_FILE), `${JSON.stringify({ ...info, format: MODEL_FORMAT, version: VERSION, weightsSha256 }, null, 2)}\n`);
}

/** SHA-256 of the folder's model.json, or null when it holds no finished model: tells one model from another. */
export function modelFingerprint(dir: string): string | null {
  const file = path.join(dir, INFO_FILE);
  if (!fs.existsSync(file)) return null;
  return sha256(readRegularFile(file, MAX_INFO_BYTES));
}

export function readModelInfo(dir: string): ModelInfo {
  const file = path.join(dir, INFO_FILE);
  if (!fs.existsSync(dir)) throw new WbcError(`no such model folder: ${dir}`);
  if (!fs.existsSync(file)) throw new WbcError(`${dir} is not a model folder (it has no ${INFO_FILE}); train one with \`wbc train\``);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, MAX_INFO_BYTES).toString('utf8'));
  } catch (error) {
    if (error instanceof WbcError) throw error;
    throw new WbcError(`${file} is not valid JSON; the model folder is damaged`);
  }
  const format = (raw as Partial<ModelInfo> | null)?.format;
  const version = (raw as Partial<ModelInfo> | null)?.version;
  if (format !== MODEL_FORMAT) throw new WbcError(`${file} is not a wbc-classifier model description`);
  if (typeof version === 'number' && version > VERSION) {
    throw new WbcError(`${file} is a model of format version ${version}, newer than this wbc-classifier reads (${VERSION}); update wbc-classifier`);
  }
  try {
    return validateModelInfo(raw);
  } catch (error) {
    throw new WbcError(`${file} is damaged: ${(error as Error).message}`);
  }
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
  const read = (name: string): Buffer => readRegularFile(path.join(dir, name), MAX_WEIGHTS_BYTES);
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

/**
 * A file that model.json names beside its SHA-256 (`calibrationScores`), read when it is needed and checked
 * against the hash; `what` says in the error what the file is for.
 */
export function readNamedModelFile(dir: string, named: { file: string; sha256: string }, what: string): Buffer {
  if (path.basename(named.file) !== named.file) throw new WbcError(`${path.join(dir, INFO_FILE)} names ${what} outside the model folder`);
  const file = path.join(dir, named.file);
  if (!fs.existsSync(file)) throw new WbcError(`${file} (${what}) is missing; the model folder is damaged`);
  const bytes = readRegularFile(file, MAX_WEIGHTS_BYTES);
  if (sha256(bytes) !== named.sha256) throw new WbcError(`${file} (${what}) does not match ${INFO_FILE}; the model folder is damaged`);
  return bytes;
}

/**
 * Adds a file to a finished model: the file first, then model.json with `addition` merged in, each
 * atomically, so that the folder always holds a model whose description matches its files.
 */
export function addToModel(dir: string, file: { name: string; bytes: Uint8Array }, addition: Partial<ModelInfo>): ModelInfo {
  const info = readModelInfo(dir);
  writeFileAtomic(path.join(dir, file.name), file.bytes);
  const updated = { ...info, ...addition };
  writeFileAtomic(path.join(dir, INFO_FILE), `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
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
