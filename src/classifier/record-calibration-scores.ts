import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentHashes } from '../data/content-hash';
import { loadImages } from '../data/load-images';
import { openPixelCache } from '../data/pixel-cache';
import { addToModel, loadModel, readModelInfo } from '../model/model-folder';
import type { AdaptiveCalibration, ReviewChoice } from '../model/model-schema';
import { checkRuntimeOptions, setUpRuntime, type RuntimeOptions } from '../native/runtime';
import { libtorchPredictor } from '../runtime/predictor';
import { chooseScheme } from '../scheme/choose-scheme';
import { fitAdaptiveForModel } from '../trust/adaptive-views';
import { encodeCalibrationScores, type CalibrationScores } from '../trust/calibration-scores';
import { schemeReviewChoice } from '../trust/scheme-review';
import { trustFor } from '../trust/trust-model';
import { checkBoolean, checkInteger, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { DEFAULT_CHUNK_SIZE } from './scoring';

export interface RecordCalibrationOptions extends RuntimeOptions {
  /** Replace calibration scores the model already has. */
  force?: boolean;
  /** The pixel cache's folder; undefined: the default one; null: no cache. */
  cacheDir?: string | null;
  /** The folder of non-white kinds the model was trained with (`wbc train --non-white`); needed where it has them. */
  nonWhiteDir?: string;
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CalibrationRecorded {
  images: number;
  file: string;
  /** The class-level review threshold refitted from the new file, and the one model.json holds: equal when the scores match training's. */
  refitted: ReviewChoice;
  recorded: number;
  /** The adaptive views' fit, added where the model lacked it. */
  adaptiveAdded?: AdaptiveCalibration;
}

/** The model's validation images in `labelledDir`, with their labels; every one must be there, with the content it had in training. */
async function validationImages(modelDir: string, labelledDir: string, nonWhiteDir: string | undefined): Promise<{ files: string[]; labels: Int32Array }> {
  const info = readModelInfo(modelDir);
  const split = info.split;
  if (!split) throw new WbcError(`${modelDir} does not record its validation images, so its calibration scores cannot be made; retrain it`);
  const nonWhite = new Set(info.nonWhite ?? []);
  if (nonWhite.size > 0 && nonWhiteDir === undefined) throw new WbcError(`${modelDir} was trained with non-white kinds (${[...nonWhite].join(', ')}); give their folder with --non-white`);
  const isNonWhite = (relative: string) => nonWhite.has(relative.split(/[/\\]/)[0]);
  const files = split.validation.map((relative) => path.join(isNonWhite(relative) ? nonWhiteDir! : labelledDir, relative));
  const missing = files.filter((file) => !fs.existsSync(file)).length;
  if (missing > 0) throw new WbcError(`${missing} of the model's ${files.length} validation images are not in ${labelledDir}${nonWhiteDir === undefined ? '; give the labelled folder it was trained on' : ` or ${nonWhiteDir}; give the folders it was trained on`}`);
  if (split.contentHashes) {
    const hashes = await contentHashes(files);
    const changed = hashes.filter((hash, i) => hash !== split.contentHashes!.validation[i]).length;
    if (changed > 0) throw new WbcError(`${changed} of the model's ${files.length} validation images in ${labelledDir} differ from those it was trained on`);
  }
  const labels = Int32Array.from(split.validation, (relative) => {
    const label = info.classes.indexOf(relative.split(/[/\\]/)[0]);
    if (label < 0) throw new WbcError(`the model's validation image ${relative} is not in a folder named after one of its classes`);
    return label;
  });
  return { files, labels };
}

/**
 * Makes the calibration scores (src/trust/calibration-scores.ts) of a model trained before they were kept:
 * scores the model's own validation split (model.json's split, checked by content) under every test-time
 * view, and adds the file to the model folder, then model.json, each atomically. Nothing else changes.
 */
export async function recordCalibrationScores(modelDir: string, labelledDir: string, options: RecordCalibrationOptions = {}): Promise<CalibrationRecorded> {
  checkString('model folder', modelDir);
  checkString('labelled folder', labelledDir);
  optional(options.force, (v) => checkBoolean('force', v));
  optional(options.nonWhiteDir, (v) => checkString('--non-white', v));
  if (options.cacheDir !== null) optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  optional(options.chunkSize, (v) => checkInteger('chunkSize', v, 1, 1_000_000));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  checkRuntimeOptions(options);
  const before = readModelInfo(modelDir);
  if (before.calibrationScores && !options.force) throw new WbcError(`${modelDir} already has its calibration scores (${before.calibrationScores.file}); add --force to make them again`);
  if (!before.calibration || !before.outOfScope) throw new WbcError(`${modelDir} predates calibration; retrain it`);
  const { files, labels } = await validationImages(modelDir, labelledDir, options.nonWhiteDir);

  const runtime = setUpRuntime(options);
  const model = loadModel(modelDir, runtime);
  const { info } = model;
  const views = 8;
  const scorer = trustFor(info, model.outOfScopeBytes, views).outOfScope!;
  const predictor = libtorchPredictor(model.engine);
  const cache = openPixelCache(options.cacheDir);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const classes = info.classes.length;
  const logitsPerView = Array.from({ length: views }, () => new Float32Array(files.length * classes));
  const outOfScopeScores = new Float32Array(files.length);
  for (let start = 0; start < files.length; start += chunkSize) {
    const chunk = files.slice(start, start + chunkSize);
    const loaded = await loadImages(chunk, info.input.storedSize, { cache, onProgress: (done) => options.onProgress?.(start + done, files.length) });
    if (loaded.skipped.length) throw new WbcError(`cannot read the model's validation image ${loaded.skipped[0].path}: ${loaded.skipped[0].reason}`);
    const scored = await predictor.scoreViews(loaded.pixels, Int32Array.from(loaded.loaded.keys()), views);
    scored.logitsPerView.forEach((logits, view) => logitsPerView[view].set(logits, start * classes));
    outOfScopeScores.set(scorer.score(scored.features), start);
  }
  const scores: CalibrationScores = { classes, logitsPerView, labels, outOfScopeScores };
  const { info: recorded, bytes } = encodeCalibrationScores(scores);
  // A model from before adaptive views, made with eight (the default then), gets them too, fitted as training would.
  const calibration = info.calibration!;
  const threshold = info.outOfScope!.threshold;
  const inScope = Array.from(outOfScopeScores.keys()).filter((row) => !(outOfScopeScores[row] > threshold));
  const adaptive = calibration.adaptive ?? (info.testTimeViews === views ? fitAdaptiveForModel(scores, inScope, calibration) : undefined);
  addToModel(modelDir, { name: recorded.file, bytes }, { calibrationScores: recorded, calibration: { ...calibration, adaptive } });

  // The class-level threshold refitted from the new file: it matches model.json's where these scores match training's.
  const trust = trustFor(info, model.outOfScopeBytes, info.testTimeViews as 1 | 2 | 4 | 8);
  const refitted = schemeReviewChoice(scores, trust, chooseScheme('nine', info.classes), info.calibration!.maxAcceptedError);
  return {
    images: files.length, file: path.join(modelDir, recorded.file), refitted, recorded: trust.reviewThreshold,
    ...(calibration.adaptive || !adaptive ? {} : { adaptiveAdded: adaptive }),
  };
}
