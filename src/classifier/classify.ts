import * as path from 'node:path';
import { differentialCount, type Differential } from '../classify/differential';
import { schemeDifferential, type SchemeDifferential } from '../classify/scheme-differential';
import type { ReviewChoice } from '../model/model-schema';
import type { SchemeChoice } from '../scheme/choose-scheme';
import type { Scheme } from '../scheme/scheme';
import type { Prediction } from '../classify/predictions';
import { scanImages } from '../data/image-folder';
import { openPixelCache } from '../data/pixel-cache';
import { Group, fingerprint } from '../distributed/group';
import { resolveDistributedOptions, type DistributedOptions } from '../distributed/options';
import type { RuntimeOptions } from '../native/runtime';
import type { EngineChoice } from '../runtime/predictor';
import { describeViews, type ViewChoice } from '../trust/trust-model';
import { checkInteger, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { classifyFiles } from './classify-files';
import { checkClassifierOptions, openClassifier } from './open-classifier';

export interface ClassifyOptions extends RuntimeOptions {
  /** Test-time views: 1, 2, 4, 8 or `auto` (the default where the model was calibrated for it). */
  testTimeViews?: ViewChoice;
  /** Override the model's review threshold. */
  reviewThreshold?: number;
  /** Classes whose every prediction is marked for review (labs confirm every blast by eye). */
  alwaysReview?: string[];
  /** The reporting scheme: `nine` (the default, class by class), `grouped`, a scheme file's path, or a definition. */
  scheme?: SchemeChoice;
  /** The review target fitted on the model's calibration scores, instead of training's (--max-accepted-error). */
  maxAcceptedError?: number;
  /** The runtime that runs the network: onnx (ONNX Runtime, CPU) by default in fp32 on the CPU, else libtorch. */
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
  /** The classes that are kinds of cell other than white cells, counted apart from the differential (models trained with --non-white). */
  nonWhite?: string[];
  /** The runtime that ran the network. */
  engine: EngineChoice;
  predictions: Prediction[];
  /** Class by class. */
  differential: Differential;
  /** The reporting scheme, and the differential in its categories with the class detail beneath each. */
  scheme: Scheme;
  schemeDifferential: SchemeDifferential;
  /** The scheme's review threshold (for its categories' confidences). */
  reviewThreshold: number;
  /** How a scheme's own review threshold was chosen, with its guarantee; absent when it is the class-level one. */
  schemeReview?: ReviewChoice;
  /** The test-time views used and the temperatures they were calibrated with, in a few words. */
  views: string;
  /** Said once: why the confidences or flags are less trustworthy than a calibrated model's, if they are. */
  calibrationNote?: string;
  skipped: { path: string; reason: string }[];
  /** Sub-folders that were not read (link loops, unreadable folders), threads lowered, cache problems. */
  warnings: string[];
  /** This process's place when it classified as one rank of a group. */
  group?: { rank: number; worldSize: number };
}

function checkClassifyOptions(options: ClassifyOptions): void {
  checkClassifierOptions({ ...options, views: options.testTimeViews });
  optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  optional(options.chunkSize, (v) => checkInteger('chunkSize', v, 1, 1_000_000));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  optional(options.distributed, (v) => resolveDistributedOptions(v as DistributedOptions));
}

/** Classifies every image in a folder of unlabelled images and its sub-folders; each prediction's `file` is relative to imageDir. */
export async function classify(modelDir: string, imageDir: string, options: ClassifyOptions = {}): Promise<ClassifyResult> {
  checkClassifyOptions(options);
  const group = options.distributed ? await Group.join(options.distributed) : undefined;
  let prepared;
  try {
    prepared = await prepareClassification(modelDir, imageDir, options);
  } catch (error) {
    group?.abandonStart(error);
    throw error;
  }
  const { cache, classifier, warnings } = prepared;
  const { info, trust, engine, alwaysReview, scheme, schemeReview } = classifier;
  let { files } = prepared;
  try {
    if (group) {
      group.agree({
        'image folder (its files)': fingerprint(files.map((file) => path.relative(imageDir, file))),
        model: fingerprint(info),
        'classification options': fingerprint({ views: trust.views, reviewThreshold: trust.reviewThreshold, alwaysReview, engine, scheme: scheme.categories }),
      });
      const { start, end } = group.share(files.length);
      files = files.slice(start, end);
    }
    const { predictions, skipped } = await classifyFiles(classifier, files, {
      root: imageDir, cache, chunkSize: options.chunkSize, alwaysReview, onProgress: options.onProgress,
    });
    warnings.push(...classifier.warnings);
    if (cache?.warning) warnings.push(cache.warning);
    if (group) {
      // Shares are contiguous and in rank order, so their concatenation is one process's order.
      const parts = group.allgather({ predictions, skipped }, 'gathering the predictions');
      predictions.splice(0, predictions.length, ...parts.flatMap((part) => part.predictions));
      skipped.splice(0, skipped.length, ...parts.flatMap((part) => part.skipped));
    }
    return {
      classes: info.classes, ...(info.nonWhite && { nonWhite: info.nonWhite }), engine, predictions, differential: differentialCount(predictions, info.classes, info.nonWhite),
      scheme, schemeDifferential: schemeDifferential(predictions, info.classes, scheme), ...(schemeReview && { schemeReview }),
      reviewThreshold: trust.reviewThreshold, views: describeViews(trust), calibrationNote: trust.note, skipped, warnings,
      ...(group && { group: { rank: group.rank, worldSize: group.worldSize } }),
    };
  } finally {
    await classifier.close();
  }
}

/** Everything a run needs before it classifies, each part checked: a failure here is told to the group. */
async function prepareClassification(modelDir: string, imageDir: string, options: ClassifyOptions) {
  const cache = options.cacheDir ? openPixelCache(options.cacheDir) : undefined;
  const classifier = await openClassifier(modelDir, {
    engine: options.engine, views: options.testTimeViews, reviewThreshold: options.reviewThreshold, alwaysReview: options.alwaysReview, scheme: options.scheme, maxAcceptedError: options.maxAcceptedError,
    device: options.device, threads: options.threads, precision: options.precision,
  });
  try {
    const { files, warnings } = scanImages(imageDir);
    return { cache, classifier, files, warnings };
  } catch (error) {
    await classifier.close();
    throw error;
  }
}
