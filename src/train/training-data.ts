import { requireClasses, scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import type { PixelCache } from '../data/pixel-cache';
import { contentHashes } from '../data/content-hash';
import { pathInJoinedFolder, splitJoinedFolders } from '../data/joined-split';
import { scanNonWhiteFolder } from '../data/non-white-folder';
import { relativeSkipped } from '../data/relative-paths';
import { stableSubset } from '../data/split';
import { channelStatistics } from '../data/statistics';
import { storedSizeFor } from '../model/architecture';
import type { SplitManifest } from '../model/model-folder';
import { WbcError } from '../util/errors';
import { classCounts } from './class-balance';
import type { TrainingListener } from './events';
import type { TrainSettings } from './options';

/** The decoded images of a training run, split, with what the model records about them. */
export interface TrainingData {
  /** The white classes, then the non-white kinds. */
  classes: string[];
  /** The non-white kinds among the classes (the last ones); absent without --non-white. */
  nonWhite?: string[];
  /** Decoded images back to back; a slot is an image's position in it. */
  pixels: Buffer;
  storedSize: number;
  trainSlots: Int32Array;
  validationSlots: Int32Array;
  testSlots: Int32Array;
  /** The class of the image in each slot. */
  slotLabels: Int32Array;
  /** Each split's images, relative to the data folder, and their short content hashes. */
  split: Pick<SplitManifest, 'train' | 'validation' | 'test'>;
  contentHashes: NonNullable<SplitManifest['contentHashes']>;
  /** Per-channel statistics of the training split's crops. */
  mean: number[];
  std: number[];
  imagesPerClass: Record<string, number>;
  /** Unreadable files, relative to the data folder. */
  skipped: { path: string; reason: string }[];
  warnings: string[];
}

function limitPerClass(folder: ImageFolder, maxPerClass: number | undefined, seed: number): ImageFolder {
  return maxPerClass ? stableSubset(folder, maxPerClass, seed) : folder;
}

/** Scans, splits (stably: see stableSplit) and decodes the labelled folder, and the non-white one when given. */
export async function prepareTrainingData(dataDir: string, settings: TrainSettings, cache: PixelCache | undefined, emit: TrainingListener): Promise<TrainingData> {
  const white = limitPerClass(scanImageFolder(dataDir), settings.maxPerClass, settings.seed);
  requireClasses(white, 2);
  const nonWhite = settings.nonWhite === undefined ? undefined : limitPerClass(scanNonWhiteFolder(settings.nonWhite, white.classes), settings.maxPerClass, settings.seed);
  const folders = nonWhite ? [white, nonWhite] : [white];
  const warnings = folders.flatMap((folder) => folder.warnings);
  const joined = splitJoinedFolders(folders, settings);
  const { classes, labels } = joined;

  const storedSize = storedSizeFor(settings.inputSize, settings.crop);
  const loaded = await loadImages(joined.paths, storedSize, {
    cache,
    onProgress: (done, total) => emit({ type: 'decode', done, total }),
  });
  for (const skipped of loaded.skipped) warnings.push(`skipped ${skipped.reason}`);
  if (cache?.warning) warnings.push(cache.warning);

  // Positions in the pixel buffer of each split's images that decoded.
  const slotOf = new Int32Array(joined.paths.length).fill(-1);
  loaded.loaded.forEach((imageIndex, slot) => { slotOf[imageIndex] = slot; });
  const slotsOf = (images: number[]) => Int32Array.from(images.map((i) => slotOf[i]).filter((slot) => slot >= 0));
  const trainSlots = slotsOf(joined.sides.train);
  const validationSlots = slotsOf(joined.sides.validation);
  const testSlots = slotsOf(joined.sides.test);
  const slotLabels = Int32Array.from(loaded.loaded, (imageIndex) => labels[imageIndex]);
  const trainCounts = classCounts(Int32Array.from(trainSlots, (slot) => slotLabels[slot]), classes.length);
  const missing = classes.filter((_, label) => trainCounts[label] === 0);
  if (missing.length) throw new WbcError(`no readable training images left for: ${missing.join(', ')}`);
  if (testSlots.length === 0) throw new WbcError('no readable test images; add images or raise --test-fraction');

  const { mean, std } = channelStatistics(loaded.pixels, storedSize, settings.inputSize, trainSlots);
  const relative = (slots: Int32Array) => Array.from(slots, (slot) => pathInJoinedFolder(joined, loaded.loaded[slot]));
  const absolute = (slots: Int32Array) => Array.from(slots, (slot) => joined.paths[loaded.loaded[slot]]);
  const split = { train: relative(trainSlots), validation: relative(validationSlots), test: relative(testSlots) };
  const rootOf = new Map(joined.paths.map((file, index) => [file, joined.roots[index]]));
  return {
    classes,
    ...(nonWhite && { nonWhite: nonWhite.classes }),
    pixels: loaded.pixels,
    storedSize,
    trainSlots,
    validationSlots,
    testSlots,
    slotLabels,
    split,
    contentHashes: {
      train: await contentHashesOrEmpty(absolute(trainSlots)),
      validation: await contentHashesOrEmpty(absolute(validationSlots)),
      test: await contentHashesOrEmpty(absolute(testSlots)),
    },
    mean,
    std,
    imagesPerClass: Object.fromEntries(classCounts(labels, classes.length).map((count, label) => [classes[label], count])),
    skipped: loaded.skipped.flatMap((skipped) => relativeSkipped([skipped], rootOf.get(skipped.path) ?? white.root)),
    warnings,
  };
}

/** These images were just decoded, so they are readable; one that vanished since gets an empty hash, which matches nothing. */
async function contentHashesOrEmpty(files: string[]): Promise<string[]> {
  return (await contentHashes(files)).map((hash) => hash ?? '');
}

/** The classes of the images in these slots. */
export function labelsAt(data: TrainingData, slots: Int32Array): Int32Array {
  return Int32Array.from(slots, (slot) => data.slotLabels[slot]);
}
