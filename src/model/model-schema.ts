import { WbcError } from '../util/errors';
import { boolean, integer, list, number, object, oneOf, optional, record, text, type Check } from '../util/schema';
import type { ModelInfo } from './model-folder';

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

const viewCalibration = object<NonNullable<ModelInfo['calibration']>['byViews'][string]>({
  temperature: positive,
  review: object({
    threshold: fraction,
    supported: boolean,
    maxAcceptedError: fraction,
    accepted: count,
    errors: count,
    errorUpperBound: fraction,
    calibrationImages: count,
  }),
  eceBefore: fraction,
  eceAfter: fraction,
});

const calibration = object<NonNullable<ModelInfo['calibration']>>({
  images: count,
  maxAcceptedError: fraction,
  byViews: object({ 1: viewCalibration, 2: viewCalibration, 4: viewCalibration, 8: viewCalibration }) as unknown as Check<Record<string, never>>,
});

const outOfScope = object<NonNullable<ModelInfo['outOfScope']>>({
  method: oneOf('knn', 'mahalanobis'),
  // A bare file name: the file must lie in the model folder itself.
  file: text({ pattern: /^(?!\.{1,2}$)[^/\\\u0000-\u001f]{1,200}$/, describe: 'a file name in the model folder' }),
  sha256: text({ pattern: /^[0-9a-f]{64}$/, describe: 'a SHA-256 in hexadecimal' }),
  featureSize: integer(1, 65536),
  neighbours: optional(integer(1, 100_000)),
  threshold: number(-Number.MAX_VALUE, Number.MAX_VALUE),
  rate: fraction,
  calibrationImages: count,
});

const modelInfo = object<ModelInfo>({
  format: oneOf('wbc-classifier-model'),
  version: oneOf(1, 2),
  createdAt: optional(text()),
  classes: list(text({ pattern: CLASS_NAME, describe: 'a class name (1 to 200 characters, no / or \\ or control characters, not . or ..)' }), 2, 1000),
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
});

/** Throws a one-line WbcError naming the first field of `raw` that is missing, of the wrong type or out of range. */
export function validateModelInfo(raw: unknown): ModelInfo {
  const info = modelInfo(raw, '');
  if (new Set(info.classes).size !== info.classes.length) throw new WbcError('classes names a class twice');
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
  if (info.training && info.training.precision === undefined && info.training.bfloat16 === undefined) throw new WbcError('training.precision is missing');
  // Models from before the hash existed (version 1) may lack it; from version 2 on it is what ties weights to description.
  if (info.version >= 2 && info.weightsSha256 === undefined) throw new WbcError('weightsSha256 is missing');
  return info;
}
