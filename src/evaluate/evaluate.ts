import * as path from 'node:path';
import { scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import { openPixelCache } from '../data/pixel-cache';
import { argmaxRows } from '../model/predict';
import { loadModel } from '../model/model-folder';
import { checkRuntimeOptions, setUpRuntime, type DeviceChoice } from '../native/runtime';
import { checkOneOf, checkString, optional } from '../util/check';
import { assessTrust, type TrustAssessment } from '../trust/assess';
import { scoreTrusted, trustFor } from '../trust/trust-model';
import { WbcError } from '../util/errors';
import { computeMetrics, type Metrics } from './metrics';
import { chooseImages } from './seen-images';

export interface EvaluateOptions {
  /** 'all' scores every image in the folder; 'test' only the model's own held-out test images. */
  split?: 'all' | 'test';
  testTimeViews?: number;
  device?: DeviceChoice;
  threads?: number;
  cacheDir?: string | null;
  onProgress?: (done: number, total: number) => void;
}

/** One scored image: the rows behind the metrics (`wbc evaluate --predictions`, `wbc report`). */
export interface EvaluatedImage {
  /** Absolute path. */
  path: string;
  /** Path relative to the labelled folder. */
  file: string;
  truth: string;
  prediction: string;
  confidence: number;
  correct: boolean;
}

export interface EvaluateResult {
  metrics: Metrics;
  images: EvaluatedImage[];
  /** Calibration (ECE, reliability bins) and how the review flag did on these images. */
  trust: TrustAssessment;
  temperature: number;
  scored: number;
  skipped: { path: string; reason: string }[];
  warnings: string[];
}

/** Maps the folder's class names onto the model's; a class the model never saw is an error. */
function modelLabels(folder: ImageFolder, modelClasses: readonly string[]): number[] {
  const unknown = folder.classes.filter((name) => !modelClasses.includes(name));
  if (unknown.length) {
    throw new WbcError(`the model knows the classes ${modelClasses.join(', ')}; ${folder.root} also has ${unknown.join(', ')}, which it was not trained on`);
  }
  return folder.classes.map((name) => modelClasses.indexOf(name));
}

function checkEvaluateOptions(options: EvaluateOptions): void {
  optional(options.split, (v) => checkOneOf('--split', v, ['all', 'test']));
  optional(options.testTimeViews, (v) => checkOneOf('--tta', v, [1, 2, 4, 8]));
  if (options.cacheDir !== null) optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  checkRuntimeOptions(options);
}

/** Scores a model on a labelled image folder. */
export async function evaluate(modelDir: string, dataDir: string, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  checkEvaluateOptions(options);
  const cache = openPixelCache(options.cacheDir);
  const runtime = setUpRuntime({ device: options.device, threads: options.threads });
  const model = loadModel(modelDir, runtime);
  const { info, engine } = model;
  const folder = scanImageFolder(dataDir);
  const toModelLabel = modelLabels(folder, info.classes);
  const warnings = [...runtime.warnings, ...folder.warnings];

  const chosen = await chooseImages(info, folder, dataDir, options.split ?? 'all');
  const images = chosen.images;
  warnings.push(...chosen.warnings);

  const loaded = await loadImages(images.map((image) => image.path), info.input.storedSize, { cache, onProgress: options.onProgress });
  if (cache?.warning) warnings.push(cache.warning);
  if (loaded.loaded.length === 0) throw new WbcError(`no readable images in ${dataDir}`);
  const slots = Int32Array.from(loaded.loaded.keys());
  const trust = trustFor(info, model.outOfScopeBytes, options.testTimeViews ?? info.testTimeViews);
  if (trust.note) warnings.push(trust.note);
  const { probabilities, outOfScopeScores } = await scoreTrusted(engine, loaded.pixels, slots, trust);
  const truth = loaded.loaded.map((imageIndex) => toModelLabel[images[imageIndex].label]);
  const predicted = argmaxRows(probabilities, info.classes.length);
  const metrics = computeMetrics(info.classes, truth, predicted);
  const scoredImages = loaded.loaded.map((imageIndex, row): EvaluatedImage => ({
    path: images[imageIndex].path,
    file: path.relative(folder.root, images[imageIndex].path),
    truth: info.classes[truth[row]],
    prediction: info.classes[predicted[row]],
    confidence: probabilities[row * info.classes.length + predicted[row]],
    correct: truth[row] === predicted[row],
  }));
  const outOfScope = outOfScopeScores && Array.from(outOfScopeScores, (score) => score > (trust.outOfScope?.threshold ?? Infinity));
  const assessment = assessTrust(probabilities, info.classes.length, truth, trust.reviewThreshold, outOfScope);
  return {
    metrics, images: scoredImages, trust: assessment, temperature: trust.temperature,
    scored: loaded.loaded.length, skipped: loaded.skipped, warnings,
  };
}
