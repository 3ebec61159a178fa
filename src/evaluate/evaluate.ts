import * as path from 'node:path';
import { scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import { openPixelCache } from '../data/pixel-cache';
import { argmaxRows } from '../model/predict';
import { loadModel } from '../model/model-folder';
import { setUpRuntime, type DeviceChoice } from '../native/runtime';
import { assessTrust, type TrustAssessment } from '../trust/assess';
import { scoreTrusted, trustFor } from '../trust/trust-model';
import { WbcError } from '../util/errors';
import { computeMetrics, type Metrics } from './metrics';

export interface EvaluateOptions {
  /** 'all' scores every image in the folder; 'test' only the model's own held-out test images. */
  split?: 'all' | 'test';
  testTimeViews?: number;
  device?: DeviceChoice;
  threads?: number;
  cacheDir?: string | null;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  metrics: Metrics;
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

/** Scores a model on a labelled image folder. */
export async function evaluate(modelDir: string, dataDir: string, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const runtime = setUpRuntime({ device: options.device, threads: options.threads });
  const model = loadModel(modelDir, runtime);
  const { info, engine } = model;
  const folder = scanImageFolder(dataDir);
  const toModelLabel = modelLabels(folder, info.classes);
  const warnings = [...folder.warnings];

  const relativePath = (file: string) => path.relative(folder.root, file);
  let images = folder.images;
  const sameData = path.resolve(dataDir) === info.data.root;
  if (options.split === 'test') {
    const test = new Set(info.split.test);
    images = images.filter((image) => test.has(relativePath(image.path)));
    if (images.length === 0) throw new WbcError(`none of the model's test images are in ${dataDir}; was it trained on another folder?`);
  } else if (sameData) {
    const seen = new Set([...info.split.train, ...info.split.validation]);
    const overlap = images.filter((image) => seen.has(relativePath(image.path))).length;
    if (overlap > 0) warnings.push(`${overlap} of these images were used to train the model, so these scores are optimistic; use --split test for the held-out images`);
  }

  const cache = openPixelCache(options.cacheDir);
  const loaded = await loadImages(images.map((image) => image.path), info.input.storedSize, { cache, onProgress: options.onProgress });
  if (cache?.warning) warnings.push(cache.warning);
  if (loaded.loaded.length === 0) throw new WbcError(`no readable images in ${dataDir}`);
  const slots = Int32Array.from(loaded.loaded.keys());
  const trust = trustFor(info, model.outOfScopeBytes, options.testTimeViews ?? info.testTimeViews);
  if (trust.note) warnings.push(trust.note);
  const { probabilities, outOfScopeScores } = scoreTrusted(engine, loaded.pixels, slots, trust);
  const truth = loaded.loaded.map((imageIndex) => toModelLabel[images[imageIndex].label]);
  const metrics = computeMetrics(info.classes, truth, argmaxRows(probabilities, info.classes.length));
  const outOfScope = outOfScopeScores && Array.from(outOfScopeScores, (score) => score > (trust.outOfScope?.threshold ?? Infinity));
  const assessment = assessTrust(probabilities, info.classes.length, truth, trust.reviewThreshold, outOfScope);
  return { metrics, trust: assessment, temperature: trust.temperature, scored: loaded.loaded.length, skipped: loaded.skipped, warnings };
}
