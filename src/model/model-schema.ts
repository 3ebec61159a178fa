import type { AugmentPolicy } from '../augment/policy';
import type { InputSpec, NetworkSpec } from '../native/binding';
import type { Precision } from '../native/runtime';
import { WbcError } from '../util/errors';
import { boolean, integer, list, number, object, oneOf, optional, record, text, type Check } from '../util/schema';

/**
 * What `model.json` holds, each type declared once here beside the checks that read it from disk
 * (`object<T>` makes the compiler hold every check to its field's type).
 */
export const MODEL_FORMAT = 'wbc-classifier-model';

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
  /** How the sides were drawn (SPLIT_METHOD in src/data/split.ts); absent in models made before stable splits. */
  method?: string;
  seed: number;
  testFraction: number;
  validationFraction: number;
  train: string[];
  validation: string[];
  test: string[];
  /** The --group-by expression the split kept groups whole by; null for none (absent in older models). */
  groupBy?: string | null;
  /** Short content hashes (src/data/content-hash.ts) parallel to train, validation and test (absent in older models). */
  contentHashes?: { train: string[]; validation: string[]; test: string[] };
}

/**
 * Everything about a model except its weights: what `model.json` holds. What prediction needs is
 * required; the record of how the model was made is optional, since a damaged or hand-edited file may lack it.
 */
export interface ModelInfo {
  format: typeof MODEL_FORMAT;
  /** 1: models from before weightsSha256 was required. */
  version: 1 | 2;
  createdAt?: string;
  classes: string[];
  /** The last classes, when they are kinds of cell that are not white cells (`wbc train --non-white`): never counted in the differential. */
  nonWhite?: string[];
  network: NetworkSpec;
  input: InputSpec;
  /** Flips and quarter turns averaged at prediction time (1, 2, 4 or 8). */
  testTimeViews: number;
  /** Predictions less confident than this are marked for review. */
  reviewThreshold: number;
  /** `root`, the training folder's absolute path, is only in models made before model folders stopped naming local paths. */
  data?: { root?: string; imagesPerClass: Record<string, number>; skipped: { path: string; reason: string }[] };
  split?: SplitManifest;
  training?: {
    epochs: number;
    /** The epoch whose weights were kept (see EpochSelector). */
    keptEpoch: number;
    batchSize: number;
    learningRate: number;
    weightDecay: number;
    labelSmoothing: number;
    balance: Balance;
    augment: AugmentPolicy;
    /** The arithmetic it was trained in (absent in models from before the choice existed, which record `bfloat16`). */
    precision?: Precision;
    bfloat16?: boolean;
    threads: number;
    /** Processes that trained it together, data-parallel (src/distributed); absent when one did. */
    worldSize?: number;
    seconds: number;
    libtorch: string;
    history: EpochRecord[];
  };
  /** Scores on the held-out test split. */
  testMetrics?: Metrics;
  /** SHA-256 of weights.pt, so that a reader never pairs this description with other weights (absent in version 1). */
  weightsSha256?: string;
  /** Temperatures and review thresholds per test-time view count (absent in models from before calibration). */
  calibration?: CalibrationInfo;
  /** The out-of-scope score, its threshold and its statistics file with that file's SHA-256 (absent in older models). */
  outOfScope?: OutOfScopeInfo;
  /** The validation images' scores, kept so that any reporting scheme gets its own review threshold (absent in older models). */
  calibrationScores?: CalibrationScoresInfo;
}

/** What training writes: every part of the record present. */
export type TrainedModelInfo = ModelInfo & Required<Pick<ModelInfo, 'createdAt' | 'data' | 'split' | 'training' | 'testMetrics'>>;

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Scores on held-out images of a model's classes (src/evaluate/metrics.ts computes them). */
export interface Metrics {
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  classes: string[];
  /** rows = true class, columns = predicted class */
  confusionMatrix: number[][];
  /** keyed by class name */
  perClass: Record<string, ClassMetrics>;
}

/** How out-of-scope images are scored from the network's features (src/trust/out-of-scope.ts). */
export type OutOfScopeMethod = 'knn' | 'mahalanobis';

export interface ReviewChoice {
  /** Predictions less confident than this need review; 1 means every prediction does. */
  threshold: number;
  /** Whether the calibration images support the target at this threshold. */
  supported: boolean;
  maxAcceptedError: number;
  /** Calibration predictions at or above the threshold, and how many of them were wrong. */
  accepted: number;
  errors: number;
  /** One-sided 95% Clopper–Pearson upper bound of the error rate among the accepted. */
  errorUpperBound: number;
  calibrationImages: number;
}

/** The test-time view counts a model may be asked for; calibration fits each. */
export const VIEW_COUNTS = [1, 2, 4, 8] as const;

/** What calibration fitted for one count of test-time views. */
export interface ViewCalibration {
  /** Logits averaged over the views are divided by this before the softmax. */
  temperature: number;
  review: ReviewChoice;
  /** Expected calibration error (15 bins, top label) on the calibration images, before and after. */
  eceBefore: number;
  eceAfter: number;
}

/** model.json's `calibration`: how confidences were calibrated and the review threshold chosen. */
export interface CalibrationInfo {
  /** Calibration images: the validation split. */
  images: number;
  /** The review target: the highest error among accepted predictions allowed by the 95% upper bound. */
  maxAcceptedError: number;
  /** Keyed by view count ('1', '2', '4', '8'). */
  byViews: Record<string, ViewCalibration>;
  /** Adaptive test-time views (`--tta auto`; src/trust/adaptive-views.ts); absent in models from before them. */
  adaptive?: AdaptiveCalibration;
}

/** What calibration fitted for adaptive test-time views: one view for every image, all `views` where it is not sure. */
export interface AdaptiveCalibration {
  /** Views scored for the images that are not sure. */
  views: number;
  /** One-view confidence, softmax(logits / gateTemperature), below `cut`: the image gets all the views. */
  gateTemperature: number;
  cut: number;
  /** Temperatures of the two kinds of answer: one view's logits (sure), the views' averaged logits (the rest). */
  sureTemperature: number;
  unsureTemperature: number;
  review: ReviewChoice;
  /** Expected calibration error of the adaptive answers on the calibration images, before and after their temperatures. */
  eceBefore: number;
  eceAfter: number;
  /** On the calibration images: the share of answers equal to all views' answers, and the share that took the extra views. */
  agreement: number;
  extraViewShare: number;
}

/** model.json's `outOfScope`: the out-of-scope score and its threshold; its statistics are in `file`. */
export interface OutOfScopeInfo {
  method: OutOfScopeMethod;
  /** In the model folder: little-endian float32 rows (the k-NN bank, or Mahalanobis means and precisions). */
  file: string;
  /** SHA-256 of `file`, checked on load like weightsSha256. */
  sha256: string;
  featureSize: number;
  /** k-NN only: neighbours counted. */
  neighbours?: number;
  /** Scores above this are out of scope. */
  threshold: number;
  /** The share of in-scope calibration images the threshold flags (--out-of-scope-rate). */
  rate: number;
  calibrationImages: number;
}

/**
 * model.json's `calibrationScores`: the calibration (validation) images' logits under every test-time view,
 * their labels and out-of-scope scores, in `file` (src/trust/calibration-scores.ts).
 */
export interface CalibrationScoresInfo {
  file: string;
  /** SHA-256 of `file`, checked when it is read. */
  sha256: string;
  images: number;
  views: number;
  classes: number;
}

/** Names that are safe as folder names on every system, as class names become folders (`wbc split`). */
const CLASS_NAME = /^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,200}$/;
const fraction = number(0, 1);
const stringList = list(text());

const metrics = object<NonNullable<ModelInfo['testMetrics']>>({
  accuracy: fraction,
  balancedAccuracy: fraction,
  macroF1: fraction,
  classes: list(text()),
  confusionMatrix: list(list(integer(0, Number.MAX_SAFE_INTEGER))),
  perClass: record(object({ precision: fraction, recall: fraction, f1: fraction, support: integer(0, Number.MAX_SAFE_INTEGER) })),
});

const training = object<NonNullable<ModelInfo['training']>>({
  epochs: integer(1, 1_000_000),
  keptEpoch: integer(0, 1_000_000),
  batchSize: integer(1, 1_000_000),
  learningRate: number(0, 1e6),
  weightDecay: number(0, 1e6),
  labelSmoothing: number(0, 1),
  balance: oneOf('weights', 'sampler', 'none', 'smote'),
  augment: record((value) => value) as Check<never>,
  precision: optional(oneOf('fp32', 'bf16')),
  bfloat16: optional(boolean),
  threads: integer(1, 1_000_000),
  worldSize: optional(integer(2, 65536)),
  seconds: number(0, Number.MAX_VALUE),
  libtorch: text(),
  history: list(object({
    epoch: integer(1, 1_000_000),
    loss: number(0, Number.MAX_VALUE),
    trainAccuracy: fraction,
    validationAccuracy: fraction,
    learningRate: number(0, 1e6),
    seconds: number(0, Number.MAX_VALUE),
  })),
});

const count = integer(0, Number.MAX_SAFE_INTEGER);
const positive = number(0, Number.MAX_VALUE, { aboveMin: true });

const reviewChoice = object<ReviewChoice>({
  threshold: fraction,
  supported: boolean,
  maxAcceptedError: fraction,
  accepted: count,
  errors: count,
  errorUpperBound: fraction,
  calibrationImages: count,
});

const viewCalibration = object<ViewCalibration>({
  temperature: positive,
  review: reviewChoice,
  eceBefore: fraction,
  eceAfter: fraction,
});

const adaptiveCalibration = object<AdaptiveCalibration>({
  views: oneOf(2, 4, 8),
  gateTemperature: positive,
  cut: fraction,
  sureTemperature: positive,
  unsureTemperature: positive,
  review: reviewChoice,
  eceBefore: fraction,
  eceAfter: fraction,
  agreement: fraction,
  extraViewShare: fraction,
});

const calibration = object<NonNullable<ModelInfo['calibration']>>({
  images: count,
  maxAcceptedError: fraction,
  byViews: object({ 1: viewCalibration, 2: viewCalibration, 4: viewCalibration, 8: viewCalibration }) as unknown as Check<Record<string, never>>,
  adaptive: optional(adaptiveCalibration),
});

// A bare file name: the file must lie in the model folder itself.
const modelFileName = text({ pattern: /^(?!\.{1,2}$)[^/\\\u0000-\u001f]{1,200}$/, describe: 'a file name in the model folder' });
const sha256Text = text({ pattern: /^[0-9a-f]{64}$/, describe: 'a SHA-256 in hexadecimal' });

const outOfScope = object<NonNullable<ModelInfo['outOfScope']>>({
  method: oneOf('knn', 'mahalanobis'),
  file: modelFileName,
  sha256: sha256Text,
  featureSize: integer(1, 65536),
  neighbours: optional(integer(1, 100_000)),
  threshold: number(-Number.MAX_VALUE, Number.MAX_VALUE),
  rate: fraction,
  calibrationImages: count,
});

const calibrationScores = object<CalibrationScoresInfo>({
  file: modelFileName,
  sha256: sha256Text,
  images: count,
  views: oneOf(1, 2, 4, 8),
  classes: integer(2, 1000),
});

const modelInfo = object<ModelInfo>({
  format: oneOf('wbc-classifier-model'),
  version: oneOf(1, 2),
  createdAt: optional(text()),
  classes: list(text({ pattern: CLASS_NAME, describe: 'a class name (1 to 200 characters, no / or \\ or control characters, not . or ..)' }), 2, 1000),
  nonWhite: optional(list(text(), 1, 998)),
  network: object({
    widths: list(integer(1, 2048), 1, 8),
    convsPerStage: integer(1, 8),
    classes: integer(2, 1000),
    dropout: number(0, 1),
  }),
  input: object({
    inputSize: integer(8, 1024),
    storedSize: integer(8, 4096),
    mean: list(fraction, 3, 3),
    std: list(number(0, 1, { aboveMin: true }), 3, 3),
  }),
  testTimeViews: oneOf(1, 2, 4, 8),
  reviewThreshold: fraction,
  data: optional(object({
    root: optional(text()),
    imagesPerClass: record(integer(0, Number.MAX_SAFE_INTEGER)),
    skipped: list(object({ path: text(), reason: text() })),
  })),
  split: optional(object({
    method: optional(text()),
    seed: integer(0, 2 ** 32 - 1),
    testFraction: fraction,
    validationFraction: fraction,
    train: stringList,
    validation: stringList,
    test: stringList,
    groupBy: optional((value, at) => (value === null ? null : text()(value, at))),
    contentHashes: optional(object({ train: stringList, validation: stringList, test: stringList })),
  })),
  training: optional(training),
  testMetrics: optional(metrics),
  weightsSha256: optional(text({ pattern: /^[0-9a-f]{64}$/, describe: 'a SHA-256 in hexadecimal' })),
  calibration: optional(calibration),
  outOfScope: optional(outOfScope),
  calibrationScores: optional(calibrationScores),
});

/** Throws a one-line WbcError naming the first field of `raw` that is missing, of the wrong type or out of range. */
export function validateModelInfo(raw: unknown): ModelInfo {
  const info = modelInfo(raw, '');
  if (new Set(info.classes).size !== info.classes.length) throw new WbcError('classes names a class twice');
  if (info.nonWhite) checkNonWhiteKinds(info.classes, info.nonWhite);
  if (info.network.classes !== info.classes.length) {
    throw new WbcError(`network.classes is ${info.network.classes} but classes lists ${info.classes.length}`);
  }
  if (info.input.storedSize < info.input.inputSize) {
    throw new WbcError(`input.storedSize (${info.input.storedSize}) is smaller than input.inputSize (${info.input.inputSize})`);
  }
  const smallest = 2 ** (info.network.widths.length - 1);
  if (info.input.inputSize < smallest) {
    throw new WbcError(`input.inputSize must be at least ${smallest} for ${info.network.widths.length} stages, got ${info.input.inputSize}`);
  }
  if (info.calibrationScores && info.calibrationScores.classes !== info.classes.length) {
    throw new WbcError(`calibrationScores.classes is ${info.calibrationScores.classes} but classes lists ${info.classes.length}`);
  }
  if (info.training && info.training.precision === undefined && info.training.bfloat16 === undefined) throw new WbcError('training.precision is missing');
  // Models from before the hash existed (version 1) may lack it; from version 2 on it is what ties weights to description.
  if (info.version >= 2 && info.weightsSha256 === undefined) throw new WbcError('weightsSha256 is missing');
  return info;
}

/** Non-white kinds are the last classes, each once, after at least two white classes. */
function checkNonWhiteKinds(classes: readonly string[], nonWhite: readonly string[]): void {
  const white = classes.length - nonWhite.length;
  if (white < 2 || nonWhite.some((kind, index) => classes[white + index] !== kind)) {
    throw new WbcError(`nonWhite must list the last classes, after at least two white classes; got ${nonWhite.join(', ')} for classes ${classes.join(', ')}`);
  }
}
