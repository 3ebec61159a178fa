import type { EvaluatedImage } from '../evaluate/evaluated-csv';
import { checkRuntimeOptions, type RuntimeOptions } from '../native/runtime';
import { VIEW_CHOICES, type ViewChoice } from '../trust/trust-model';
import type { SchemeChoice } from '../scheme/choose-scheme';
import { checkOneOf, optional } from '../util/check';
import { checkEvaluateFolderOptions, type EvaluateFolderOptions, type EvaluateResult } from './evaluate-folder';
import { openClassifier } from './open-classifier';

export type { EvaluatedImage, EvaluateResult };

export interface EvaluateOptions extends RuntimeOptions, EvaluateFolderOptions {
  /** Test-time views: 1, 2, 4, 8 or `auto` (the default where the model was calibrated for it). */
  testTimeViews?: ViewChoice;
  /** The reporting scheme scored beside the classes: `nine` (the default), `grouped`, a scheme file's path, or a definition. */
  scheme?: SchemeChoice;
  /** The review target fitted on the model's calibration scores, instead of training's (--max-accepted-error). */
  maxAcceptedError?: number;
}

/** Scores a model on a labelled image folder, with LibTorch (the engine its test metrics were measured with). */
export async function evaluate(modelDir: string, dataDir: string, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  optional(options.testTimeViews, (v) => checkOneOf('--tta', v, VIEW_CHOICES));
  checkEvaluateFolderOptions(options);
  checkRuntimeOptions(options);
  const classifier = await openClassifier(modelDir, {
    engine: 'libtorch', views: options.testTimeViews, scheme: options.scheme, maxAcceptedError: options.maxAcceptedError, device: options.device, threads: options.threads, precision: options.precision,
  });
  try {
    const result = await classifier.evaluate(dataDir, { split: options.split, cacheDir: options.cacheDir, chunkSize: options.chunkSize, onProgress: options.onProgress });
    return { ...result, warnings: [...classifier.warnings, ...result.warnings] };
  } finally {
    await classifier.close();
  }
}
