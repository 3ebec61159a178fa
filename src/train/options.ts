import type { AugmentPolicy } from '../augment/policy';
import { SPLIT_DEFAULTS } from '../data/split';
import { resolveDistributedOptions, type DistributedOptions } from '../distributed/options';
import type { Balance } from '../model/model-folder';
import { checkRuntimeOptions, type DeviceChoice, type PrecisionChoice } from '../native/runtime';
import { VIEW_CHOICES, type ViewChoice } from '../trust/trust-model';
import { checkBoolean, checkInteger, checkNumber, checkOneOf, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import type { TrainingListener } from './events';

export interface TrainOptions {
  /** The model folder to create. */
  out: string;
  /** Replace an existing, non-empty model folder, or discard an interrupted run's checkpoint in it. */
  force?: boolean;
  /** Continue the interrupted run whose checkpoint is in `out` (same data and options required). */
  resume?: boolean;
  epochs?: number;
  batchSize?: number;
  /** Channels of the first stage; later stages double it. */
  width?: number;
  /** Side of the network input in pixels. */
  inputSize?: number;
  /** Fraction of the image's centred square that the network sees. */
  crop?: number;
  testFraction?: number;
  /** Fraction of the training split kept apart to pick the best epoch and the review threshold. */
  validationFraction?: number;
  seed?: number;
  /**
   * A folder with one sub-folder per kind of cell that is not a white cell (erythroblasts/, platelets/): the
   * kinds become classes after the white ones, split like them, and model.json lists them as `nonWhite`.
   */
  nonWhite?: string;
  /** Keep images whose paths within their class folder give the same key (patient, slide) on one side of the split: see SplitSettings. */
  groupBy?: string;
  balance?: Balance;
  learningRate?: number;
  weightDecay?: number;
  labelSmoothing?: number;
  /** Stop after this many epochs without a better validation accuracy. */
  patience?: number;
  /** Test-time views the model uses by default: `auto` (adaptive, src/trust/adaptive-views.ts) or 1, 2, 4, 8. */
  testTimeViews?: ViewChoice;
  augment?: AugmentPolicy;
  /** Use at most this many images of each class (seeded choice): for quick trials. */
  maxPerClass?: number;
  device?: DeviceChoice;
  threads?: number;
  /** fp32, bf16, or auto (bf16 where the CPU has bf16 instructions); recorded in model.json. */
  precision?: PrecisionChoice;
  /** Where decoded pixels are cached between runs; null turns the cache off. */
  cacheDir?: string | null;
  onEvent?: TrainingListener;
  /** Review target: the 95% upper bound of the error among accepted calibration predictions (default 0.02). */
  maxAcceptedError?: number;
  /** Share of in-scope calibration images the out-of-scope threshold flags (default 0.05). */
  outOfScopeRate?: number;
  /**
   * Train data-parallel as one rank of a group: each global batch (batchSize images) is split across the
   * ranks, gradients and batch-norm statistics are combined, and rank 0 alone validates and writes `out`.
   */
  distributed?: DistributedOptions;
}

/**
 * Chosen by measurement (README, "How the defaults were chosen"): a sweep of widths 16–24, inputs of
 * 64–80 px and 20–40 epochs scored within about half a point of each other; epochs and test-time
 * views paid most, so the default spends its CPU time there. Widths are kept to multiples of 16,
 * the channel block of oneDNN's AVX-512 kernels: width 20 trained half as fast as width 16.
 * The crop of 0.6 gives the cell in the centre the pixels that 80 px gave at a 0.75 crop, for the work of
 * 64 px: it cut the errors between reporting categories (issue 22) on three of four models, none worse.
 */
export const TRAIN_DEFAULTS = {
  epochs: 40,
  batchSize: 64,
  width: 16,
  inputSize: 64,
  crop: 0.6,
  testFraction: SPLIT_DEFAULTS.testFraction,
  validationFraction: SPLIT_DEFAULTS.validationFraction,
  seed: SPLIT_DEFAULTS.seed,
  balance: 'weights' as Balance,
  learningRate: 3e-3,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  patience: 10,
  testTimeViews: 'auto' as ViewChoice,
};

export type TrainSettings = typeof TRAIN_DEFAULTS & TrainOptions;

const BALANCE_MODES: readonly Balance[] = ['weights', 'sampler', 'none', 'smote'];
const open = { minInclusive: false, maxInclusive: false };

function checkAugmentPolicy(value: unknown): AugmentPolicy {
  if (value === null || typeof value !== 'object') throw new WbcError('augment must be an augmentation policy object');
  const policy = value as AugmentPolicy;
  checkBoolean('augment.dihedral', policy.dihedral);
  if (!Array.isArray(policy.scale) || policy.scale.length !== 2) throw new WbcError('augment.scale must be [smallest, largest]');
  const [low, high] = policy.scale.map((s, i) => checkNumber(`augment.scale[${i}]`, s, { min: 0.25, max: 4 }));
  if (low > high) throw new WbcError(`augment.scale must list the smaller factor first, got [${low}, ${high}]`);
  checkNumber('augment.shift', policy.shift, { min: 0, max: 1 });
  for (const name of ['brightness', 'contrast', 'stain'] as const) {
    checkNumber(`augment.${name}`, policy[name], { min: 0, max: 1, maxInclusive: false });
  }
  return policy;
}

/**
 * The options with defaults filled in, every one checked before any work starts, so that a bad value
 * fails in one line at once rather than after the images are decoded or the first epochs are run.
 */
export function resolveTrainSettings(options: TrainOptions): TrainSettings {
  if (options === null || typeof options !== 'object') throw new WbcError('train needs an options object with at least `out`');
  checkString('--out', options.out);
  optional(options.force, (v) => checkBoolean('--force', v));
  optional(options.resume, (v) => checkBoolean('--resume', v));
  if (options.force && options.resume) throw new WbcError('--resume continues an interrupted run and --force discards it: give only one');
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const settings = { ...TRAIN_DEFAULTS, ...given } as TrainSettings;
  checkInteger('--epochs', settings.epochs, 1, 10_000);
  checkInteger('--batch', settings.batchSize, 2, 4096);
  checkInteger('--width', settings.width, 1, 192);
  checkInteger('--size', settings.inputSize, 16, 512);
  checkNumber('--crop', settings.crop, { min: 0.2, max: 1 });
  checkNumber('--test-fraction', settings.testFraction, { min: 0, max: 1, ...open });
  checkNumber('--validation-fraction', settings.validationFraction, { min: 0, max: 1, maxInclusive: false });
  optional(settings.groupBy, (v) => checkString('--group-by', v));
  optional(settings.nonWhite, (v) => checkString('--non-white', v));
  checkInteger('--seed', settings.seed, 0, 2 ** 32 - 1);
  checkOneOf('--balance', settings.balance, BALANCE_MODES);
  checkNumber('--lr', settings.learningRate, { min: 0, max: 1, minInclusive: false });
  checkNumber('--weight-decay', settings.weightDecay, { min: 0, max: 1 });
  checkNumber('--label-smoothing', settings.labelSmoothing, { min: 0, max: 1, maxInclusive: false });
  checkInteger('--patience', settings.patience, 1, 10_000);
  checkOneOf('--tta', settings.testTimeViews, VIEW_CHOICES);
  optional(settings.maxPerClass, (v) => checkInteger('--max-per-class', v, 1, 1e9));
  optional(settings.augment, checkAugmentPolicy);
  optional(settings.maxAcceptedError, (v) => checkNumber('--max-accepted-error', v, { min: 0, max: 1, ...open }));
  optional(settings.outOfScopeRate, (v) => checkNumber('--out-of-scope-rate', v, { min: 0, max: 1, ...open }));
  if (settings.cacheDir !== null) optional(settings.cacheDir, (v) => checkString('--cache-dir', v));
  if (settings.onEvent !== undefined && typeof settings.onEvent !== 'function') throw new WbcError('onEvent must be a function');
  // The engine refuses a step whose activations would not fit in memory; say so before any work.
  if (settings.batchSize * settings.inputSize ** 2 * settings.width > 2 ** 30) {
    throw new WbcError(`--batch ${settings.batchSize}, --size ${settings.inputSize} and --width ${settings.width} together need too much memory per step; lower one of them`);
  }
  checkRuntimeOptions(settings);
  const group = optional(settings.distributed, (v) => resolveDistributedOptions(v as DistributedOptions));
  if (group && settings.batchSize % group.worldSize !== 0) {
    throw new WbcError(`--batch ${settings.batchSize} (the global batch) must divide evenly among the ${group.worldSize} ranks`);
  }
  return settings;
}
