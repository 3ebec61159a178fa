import * as path from 'node:path';
import { scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import { openPixelCache } from '../data/pixel-cache';
import type { EvaluatedImage } from '../evaluate/evaluated-csv';
import { computeMetrics, type Metrics } from '../evaluate/metrics';
import { nonWhiteCrossings, type NonWhiteCrossings, type ScoredAnswer } from '../evaluate/non-white-crossings';
import { chooseImages } from '../evaluate/seen-images';
import { argmaxRows } from '../model/predict';
import { categoryProbabilities } from '../scheme/category-scores';
import { assessTrust, type TrustAssessment } from '../trust/assess';
import { isFlaggedForReview } from '../trust/review-threshold';
import { describeViews } from '../trust/trust-model';
import { checkInteger, checkOneOf, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { DEFAULT_CHUNK_SIZE, type Scoring } from './scoring';

export interface EvaluateFolderOptions {
  /** 'all' scores every image in the folder; 'test' only the model's own held-out test images. */
  split?: 'all' | 'test';
  /** The pixel cache's folder; undefined: the default one; null: no cache. */
  cacheDir?: string | null;
  /** Images decoded and scored at once. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  metrics: Metrics;
  images: EvaluatedImage[];
  /** Calibration (ECE, reliability bins) and how the class-level review flag did on these images. */
  trust: TrustAssessment;
  /** For models with non-white kinds: white cells called non-white and the reverse. */
  nonWhite?: NonWhiteCrossings;
  /** The same at the reporting scheme's level (its categories, its review threshold); absent for `nine`. */
  scheme?: SchemeScores;
  /** The test-time views used and the temperatures they were calibrated with, in a few words. */
  views: string;
  scored: number;
  skipped: { path: string; reason: string }[];
  warnings: string[];
}

export interface SchemeScores {
  name: string;
  /** Accuracy, macro-F1, per-category metrics and the confusion matrix of the categories (the top category against the true class's). */
  metrics: Metrics;
  trust: TrustAssessment;
}

export function checkEvaluateFolderOptions(options: EvaluateFolderOptions): void {
  optional(options.split, (v) => checkOneOf('--split', v, ['all', 'test']));
  if (options.cacheDir !== null) optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  optional(options.chunkSize, (v) => checkInteger('chunkSize', v, 1, 1_000_000));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
}

/** Maps the folder's class names onto the model's; a class the model never saw is an error. */
function modelLabels(folder: ImageFolder, modelClasses: readonly string[]): number[] {
  const unknown = folder.classes.filter((name) => !modelClasses.includes(name));
  if (unknown.length) {
    throw new WbcError(`the model knows the classes ${modelClasses.join(', ')}; ${folder.root} also has ${unknown.join(', ')}, which it was not trained on`);
  }
  return folder.classes.map((name) => modelClasses.indexOf(name));
}

function concatenate(parts: readonly Float32Array[]): Float32Array {
  const whole = new Float32Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/**
 * Scores a model on a labelled image folder, chunk by chunk: only one chunk's pixels are held at a time,
 * and what is kept of each image (its probabilities and its row) is small.
 */
export async function evaluateFolder(scoring: Scoring, dataDir: string, options: EvaluateFolderOptions = {}): Promise<EvaluateResult> {
  checkEvaluateFolderOptions(options);
  const { info, trust, scheme } = scoring;
  const cache = openPixelCache(options.cacheDir);
  const folder = scanImageFolder(dataDir);
  const toModelLabel = modelLabels(folder, info.classes);
  const warnings = [...folder.warnings];
  const chosen = await chooseImages(info, folder, dataDir, options.split ?? 'all');
  const images = chosen.images;
  warnings.push(...chosen.warnings);

  const classes = info.classes.length;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const truth: number[] = [];
  const predictedAll: number[] = [];
  const probabilityParts: Float32Array[] = [];
  const outOfScope: boolean[] = [];
  const scoredImages: EvaluatedImage[] = [];
  const skipped: EvaluateResult['skipped'] = [];
  const answers: ScoredAnswer[] = [];
  for (let start = 0; start < images.length; start += chunkSize) {
    const chunk = images.slice(start, start + chunkSize);
    const loaded = await loadImages(chunk.map((image) => image.path), info.input.storedSize, {
      cache,
      onProgress: (done) => options.onProgress?.(start + done, images.length),
    });
    skipped.push(...loaded.skipped);
    if (loaded.loaded.length === 0) continue;
    const { probabilities, outOfScopeScores } = await scoring.score(loaded.pixels, Int32Array.from(loaded.loaded.keys()));
    const predicted = argmaxRows(probabilities, classes);
    loaded.loaded.forEach((imageIndex, row) => {
      const image = chunk[imageIndex];
      const label = toModelLabel[image.label];
      truth.push(label);
      predictedAll.push(predicted[row]);
      scoredImages.push({
        path: image.path,
        file: path.relative(folder.root, image.path),
        truth: info.classes[label],
        prediction: info.classes[predicted[row]],
        confidence: probabilities[row * classes + predicted[row]],
        correct: label === predicted[row],
      });
      const isOutOfScope = !!outOfScopeScores && outOfScopeScores[row] > (trust.outOfScope?.threshold ?? Infinity);
      if (outOfScopeScores) outOfScope.push(isOutOfScope);
      const confidence = probabilities[row * classes + predicted[row]];
      answers.push({ truth: info.classes[label], prediction: info.classes[predicted[row]], needsReview: isFlaggedForReview(confidence, scoring.classReviewThreshold, isOutOfScope) });
    });
    probabilityParts.push(probabilities);
  }
  if (cache?.warning) warnings.push(cache.warning);
  if (truth.length === 0) throw new WbcError(`no readable images in ${dataDir}`);
  if (trust.note) warnings.push(trust.note);
  const metrics = computeMetrics(info.classes, truth, predictedAll);
  const probabilities = concatenate(probabilityParts);
  const outOfScopeFlags = trust.outOfScope ? outOfScope : null;
  const assessment = assessTrust(probabilities, classes, truth, scoring.classReviewThreshold, outOfScopeFlags);
  let schemeScores: SchemeScores | undefined;
  if (!scheme.identity) {
    const names = scheme.categories.map((category) => category.name);
    const byCategory = categoryProbabilities(probabilities, scheme);
    const truthCategories = truth.map((label) => scheme.categoryOfClass[label]);
    schemeScores = {
      name: scheme.name,
      metrics: computeMetrics(names, truthCategories, Array.from(argmaxRows(byCategory, names.length))),
      trust: assessTrust(byCategory, names.length, truthCategories, trust.reviewThreshold, outOfScopeFlags),
    };
  }
  const crossings = info.nonWhite && nonWhiteCrossings(answers, info.nonWhite);
  return { metrics, images: scoredImages, trust: assessment, ...(crossings && { nonWhite: crossings }), ...(schemeScores && { scheme: schemeScores }), views: describeViews(trust), scored: truth.length, skipped, warnings };
}
