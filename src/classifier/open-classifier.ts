import { openPixelCache } from '../data/pixel-cache';
import { loadModel } from '../model/model-folder';
import { checkRuntimeOptions, setUpRuntime, type RuntimeOptions } from '../native/runtime';
import { defaultEngine, ENGINE_CHOICES, openPredictor, type EngineChoice } from '../runtime/predictor';
import { trustFor, VIEW_CHOICES, type ViewChoice } from '../trust/trust-model';
import { scoreWithTrust } from '../trust/trusted-scoring';
import { chooseScheme, type SchemeChoice } from '../scheme/choose-scheme';
import { checkInteger, checkNumber, checkOneOf, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { classifyFiles, type FilesClassified } from './classify-files';
import { evaluateFolder, type EvaluateFolderOptions, type EvaluateResult } from './evaluate-folder';
import { trustUnderScheme } from './scheme-trust';
import type { Scoring } from './scoring';

export interface ClassifierOptions extends RuntimeOptions {
  /** The runtime that runs the network: onnx (ONNX Runtime, CPU) by default in fp32 on the CPU, else libtorch. */
  engine?: EngineChoice;
  /** Test-time views averaged (1, 2, 4 or 8), or `auto` (one view, all of them where it is not sure); by default `auto` where the model was calibrated for it, else the model's own count. */
  views?: ViewChoice;
  /** Override the model's review threshold (the scheme's, for its categories' confidences). */
  reviewThreshold?: number;
  /** Classes whose every prediction is marked for review (labs confirm every blast by eye). */
  alwaysReview?: string[];
  /** The reporting scheme: `nine` (the default, class by class), `grouped`, a scheme file's path, or a definition. */
  scheme?: SchemeChoice;
  /**
   * The review target: the most error among accepted answers that the 95% upper bound may allow; the
   * model's (training's --max-accepted-error) by default. Another value is fitted on the model's calibration scores.
   */
  maxAcceptedError?: number;
}

export interface ClassifyImagesOptions {
  /** Each prediction's `file` is relative to this folder; absent: the path as given. */
  root?: string;
  /** Cache decoded pixels here; off by default, since unlabelled images are usually classified once. */
  cacheDir?: string;
  /** Images decoded and scored at once: bounds memory whatever the number of files. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stops between chunks once aborted: classify() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ImagesClassified extends FilesClassified {
  /** Cache problems. */
  warnings: string[];
}

/** A model loaded once, with its runtime (the ONNX session, if any) open, ready to classify and evaluate many times. */
export interface Classifier extends Scoring {
  /** The runtime that runs the network. */
  readonly engine: EngineChoice;
  /** Classes whose every prediction is marked for review. */
  readonly alwaysReview: readonly string[];
  /** Said once when the model was opened: threads lowered to the machine's cores. */
  readonly warnings: readonly string[];
  /** Classifies image files in bounded chunks; predictions come in the files' order, unreadable files are skipped. */
  classify(files: readonly string[], options?: ClassifyImagesOptions): Promise<ImagesClassified>;
  /** Scores the model on a labelled folder (one sub-folder per class), in bounded chunks. */
  evaluate(labelledDir: string, options?: EvaluateFolderOptions): Promise<EvaluateResult>;
  /** Releases the runtime; the classifier answers nothing after this. */
  close(): Promise<void>;
}

export function checkClassifierOptions(options: ClassifierOptions): void {
  optional(options.views, (v) => checkOneOf('--tta', v, VIEW_CHOICES));
  optional(options.reviewThreshold, (v) => checkNumber('--review-threshold', v, { min: 0, max: 1 }));
  optional(options.maxAcceptedError, (v) => checkNumber('--max-accepted-error', v, { min: 0, max: 1, minInclusive: false, maxInclusive: false }));
  if (options.maxAcceptedError !== undefined && options.reviewThreshold !== undefined) throw new WbcError('--review-threshold and --max-accepted-error both set the review threshold; give one');
  optional(options.engine, (v) => checkOneOf('--engine', v, ENGINE_CHOICES));
  if (options.engine === 'onnx' && options.device === 'cuda') throw new WbcError('--engine onnx runs on the CPU; leave out --device cuda');
  if (options.engine === 'onnx' && options.precision === 'bf16') throw new WbcError('--engine onnx runs in fp32; leave out --precision bf16');
  if (options.alwaysReview !== undefined && !Array.isArray(options.alwaysReview)) throw new WbcError('alwaysReview must be a list of class names');
  if (options.scheme !== undefined && typeof options.scheme !== 'string' && (typeof options.scheme !== 'object' || options.scheme === null)) {
    throw new WbcError('scheme must be nine, grouped, a scheme file\'s path or a scheme definition');
  }
  checkRuntimeOptions(options);
}

function checkClassifyImagesOptions(files: readonly string[], options: ClassifyImagesOptions): void {
  if (!Array.isArray(files) || !files.every((file) => typeof file === 'string')) throw new WbcError('classify() takes a list of image paths');
  optional(options.root, (v) => checkString('root', v));
  optional(options.cacheDir, (v) => checkString('--cache-dir', v));
  optional(options.chunkSize, (v) => checkInteger('chunkSize', v, 1, 1_000_000));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new WbcError('signal must be an AbortSignal');
}

/**
 * Loads the model in `modelDir` once and opens its runtime (for ONNX Runtime: builds the graph and opens
 * the session): every later classify() and evaluate() reuses them. Close it when done.
 */
export async function openClassifier(modelDir: string, options: ClassifierOptions = {}): Promise<Classifier> {
  checkString('model folder', modelDir);
  checkClassifierOptions(options);
  // ONNX Runtime computes in fp32 on the CPU, so an auto precision resolves to fp32 for it.
  const onnx = options.engine === 'onnx';
  const runtime = setUpRuntime({ device: onnx ? 'cpu' : options.device, threads: options.threads, precision: onnx ? 'fp32' : options.precision });
  const model = loadModel(modelDir, runtime);
  const { info } = model;
  const scheme = chooseScheme(options.scheme, info.classes, info.nonWhite);
  const classTrust = trustFor(info, model.outOfScopeBytes, options.views, options.reviewThreshold);
  const { trust, review: schemeReview } = trustUnderScheme(modelDir, info, classTrust, scheme, options);
  const alwaysReview = options.alwaysReview ?? [];
  const unknown = alwaysReview.filter((name) => !info.classes.includes(name));
  if (unknown.length) throw new WbcError(`cannot always review ${unknown.join(', ')}: the model's classes are ${info.classes.join(', ')}`);
  const engine = options.engine ?? defaultEngine(runtime);
  const predictor = await openPredictor(model, engine, runtime.threads);

  let closed = false;
  const requireOpen = (): void => {
    if (closed) throw new WbcError('this classifier is closed; open another with openClassifier()');
  };
  const scoring: Scoring = {
    info,
    trust,
    scheme,
    classReviewThreshold: scheme.identity ? trust.reviewThreshold : classTrust.reviewThreshold,
    ...(schemeReview && { schemeReview }),
    async score(pixels, indices) {
      requireOpen();
      return scoreWithTrust(predictor, pixels, indices, trust);
    },
  };
  return {
    ...scoring,
    engine,
    alwaysReview,
    warnings: runtime.warnings,
    async classify(files, classifyOptions = {}) {
      requireOpen();
      checkClassifyImagesOptions(files, classifyOptions);
      const cache = classifyOptions.cacheDir === undefined ? undefined : openPixelCache(classifyOptions.cacheDir);
      const result = await classifyFiles(scoring, files, { ...classifyOptions, cache, alwaysReview });
      return { ...result, warnings: cache?.warning ? [cache.warning] : [] };
    },
    async evaluate(labelledDir, evaluateOptions = {}) {
      requireOpen();
      checkString('labelled folder', labelledDir);
      return evaluateFolder(scoring, labelledDir, evaluateOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      await predictor.close();
    },
  };
}
