import * as path from 'node:path';
import { scanImages } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import { Group, fingerprint } from '../distributed/group';
import { resolveDistributedOptions, type DistributedOptions } from '../distributed/options';
import { openPixelCache } from '../data/pixel-cache';
import { loadModel, type LoadedModel } from '../model/model-folder';
import { ENGINE_CHOICES, libtorchPredictor, type EngineChoice, type Predictor } from '../model/predictor';
import { checkRuntimeOptions, setUpRuntime, type DeviceChoice } from '../native/runtime';
import { checkInteger, checkNumber, checkOneOf, checkString, optional } from '../util/check';
import { trustedScores, trustFor } from '../trust/trust-model';
import { WbcError } from '../util/errors';
import { differentialCount, type Differential } from './differential';
import { toPredictions, type Prediction } from './predictions';

export interface ClassifyOptions {
  testTimeViews?: number;
  /** Override the model's review threshold. */
  reviewThreshold?: number;
  /** Classes whose every prediction is marked for review (labs confirm every blast by eye). */
  alwaysReview?: string[];
  device?: DeviceChoice;
  threads?: number;
  /** The runtime that runs the network: onnx (ONNX Runtime, CPU) by default on a CPU without bf16, else libtorch. */
  engine?: EngineChoice;
  /** Cache decoded pixels here; off by default, since unlabelled images are usually classified once. */
  cacheDir?: string;
  /** Images decoded and held at once: bounds memory whatever the folder's size. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Classify as one rank of a group: each rank classifies its contiguous share of the files and every rank
   * gets all predictions, in the order one process would give them (only rank 0 should write them).
   */
  distributed?: DistributedOptions;
}

export interface ClassifyResult {
  classes: string[];
  /** The runtime that ran the network. */
  engine: EngineChoice;
  predictions: Prediction[];
  differential: Differential;
  reviewThreshold: number;
  /** Temperature the probabilities were calibrated with, for the view count used. */
  temperature: number;
  /** Said once: why the confidences or flags are less trustworthy than a calibrated model's, if they are. */
  calibrationNote?: string;
  skipped: { path: string; reason: string }[];
  /** Sub-folders that were not read (link loops, unreadable folders), threads lowered, cache problems. */
  warnings: string[];
  /** This process's place when it classified as one rank of a group. */
  group?: { rank: number; worldSize: number };
}

function checkClassifyOptions(options: ClassifyOptions): void {
  optional(options.testTimeViews, (v) => checkOneOf('--tta', v, [1, 2, 4, 8]));
  optional(options.reviewThreshold, (v) => checkNumber('--review-threshold', v, { min: 0, max: 1 }));
  optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  optional(options.engine, (v) => checkOneOf('--engine', v, ENGINE_CHOICES));
  if (options.engine === 'onnx' && options.device === 'cuda') throw new WbcError('--engine onnx runs on the CPU; leave out --device cuda');
  optional(options.chunkSize, (v) => checkInteger('chunkSize', v, 1, 1_000_000));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  checkRuntimeOptions(options);
  optional(options.distributed, (v) => resolveDistributedOptions(v as DistributedOptions));
}

/** ONNX Runtime where it was measured faster (fp32 on the CPU, bench/RESULTS.md); LibTorch on CUDA or with bf16. */
function defaultEngine(runtime: { device: 'cpu' | 'cuda'; bfloat16: boolean }): EngineChoice {
  return runtime.device === 'cpu' && !runtime.bfloat16 ? 'onnx' : 'libtorch';
}

async function openPredictor(model: LoadedModel, engine: EngineChoice, threads: number): Promise<Predictor> {
  if (engine === 'libtorch') return libtorchPredictor(model.engine);
  // Loaded only when used: runs on LibTorch alone (CUDA, bf16, --engine libtorch) skip ONNX Runtime's start-up.
  const { onnxPredictor } = await import('../export/onnx-predictor');
  return onnxPredictor(model, threads);
}

/** Classifies every image in a folder of unlabelled images and its sub-folders; each prediction's `file` is relative to imageDir. */
export async function classify(modelDir: string, imageDir: string, options: ClassifyOptions = {}): Promise<ClassifyResult> {
  checkClassifyOptions(options);
  const group = options.distributed ? await Group.join(options.distributed) : undefined;
  let prepared;
  try {
    prepared = prepareClassification(modelDir, imageDir, options);
  } catch (error) {
    group?.abandonStart(error);
    throw error;
  }
  const { cache, runtime, model, warnings, trust, alwaysReview } = prepared;
  const { info } = model;
  let { files } = prepared;
  const engine = options.engine ?? defaultEngine(runtime);
  if (group) {
    group.agree({
      'image folder (its files)': fingerprint(files.map((file) => path.relative(imageDir, file))),
      model: fingerprint(info),
      'classification options': fingerprint({ views: trust.views, reviewThreshold: trust.reviewThreshold, alwaysReview, engine }),
    });
    const { start, end } = group.share(files.length);
    files = files.slice(start, end);
  }
  const chunkSize = options.chunkSize ?? 1024;

  const predictions: Prediction[] = [];
  const skipped: ClassifyResult['skipped'] = [];
  const predictor = await openPredictor(model, engine, runtime.threads);
  try {
    for (let start = 0; start < files.length; start += chunkSize) {
      const chunk = files.slice(start, start + chunkSize);
      const loaded = await loadImages(chunk, info.input.storedSize, {
        cache,
        onProgress: (done) => options.onProgress?.(start + done, files.length),
      });
      skipped.push(...loaded.skipped);
      if (loaded.loaded.length === 0) continue;
      const scores = trustedScores(await predictor.scoreViews(loaded.pixels, Int32Array.from(loaded.loaded.keys()), trust.views), trust);
      const names = loaded.loaded.map((i) => path.relative(imageDir, chunk[i]));
      predictions.push(...toPredictions(names, scores.probabilities, info.classes, trust.reviewThreshold, {
        outOfScopeScores: scores.outOfScopeScores, outOfScopeThreshold: trust.outOfScope?.threshold, alwaysReview,
      }));
    }
  } finally {
    await predictor.close();
  }
  warnings.push(...runtime.warnings);
  if (cache?.warning) warnings.push(cache.warning);
  if (group) {
    // Shares are contiguous and in rank order, so their concatenation is one process's order.
    const parts = group.allgather({ predictions, skipped }, 'gathering the predictions');
    predictions.splice(0, predictions.length, ...parts.flatMap((part) => part.predictions));
    skipped.splice(0, skipped.length, ...parts.flatMap((part) => part.skipped));
  }
  return {
    classes: info.classes, engine, predictions, differential: differentialCount(predictions, info.classes),
    reviewThreshold: trust.reviewThreshold, temperature: trust.temperature, calibrationNote: trust.note, skipped, warnings,
    ...(group && { group: { rank: group.rank, worldSize: group.worldSize } }),
  };
}

/** Everything a run needs before it classifies, each part checked: a failure here is told to the group. */
function prepareClassification(modelDir: string, imageDir: string, options: ClassifyOptions) {
  const cache = options.cacheDir ? openPixelCache(options.cacheDir) : undefined;
  const runtime = setUpRuntime({ device: options.engine === 'onnx' ? 'cpu' : options.device, threads: options.threads });
  const model = loadModel(modelDir, runtime);
  const { info } = model;
  const { files, warnings } = scanImages(imageDir);
  const views = options.testTimeViews ?? info.testTimeViews;
  const trust = trustFor(info, model.outOfScopeBytes, views, options.reviewThreshold);
  const alwaysReview = options.alwaysReview ?? [];
  const unknown = alwaysReview.filter((name) => !info.classes.includes(name));
  if (unknown.length) throw new WbcError(`cannot always review ${unknown.join(', ')}: the model's classes are ${info.classes.join(', ')}`);
  return { cache, runtime, model, files, warnings, trust, alwaysReview };
}
