import * as path from 'node:path';
import { requireClasses, scanImageFolder, type ImageFolder } from '../data/image-folder';
import { loadImages } from '../data/load-images';
import type { PixelCache } from '../data/pixel-cache';
import { contentHashesOf } from '../data/content-hash';
import { relativeSkipped } from '../data/relative-paths';
import { stableSplit, stableSubset } from '../data/split';
import { channelStatistics } from '../data/statistics';
import { storedSizeFor } from '../model/architecture';
import type { SplitManifest } from '../model/model-folder';
import { WbcError } from '../util/errors';
import { classCounts } from './class-balance';
import type { TrainingListener } from './events';
import type { TrainSettings } from './options';

/** The decoded images of a training run, split, with what the model records about them. */
export interface TrainingData {
  classes: string[];
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

/** Scans, splits (stably: see stableSplit) and decodes the labelled folder. */
export async function prepareTrainingData(dataDir: string, settings: TrainSettings, cache: PixelCache | undefined, emit: TrainingListener): Promise<TrainingData> {
  const folder = limitPerClass(scanImageFolder(dataDir), settings.maxPerClass, settings.seed);
  requireClasses(folder, 2);
  const warnings = [...folder.warnings];
  const classes = folder.classes;
  const labels = folder.images.map((image) => image.label);

  const { train: trainImages, validation: validationImages, test } = stableSplit(folder, settings);

  const storedSize = storedSizeFor(settings.inputSize, settings.crop);
  const loaded = await loadImages(folder.images.map((image) => image.path), storedSize, {
    cache,
    onProgress: (done, total) => emit({ type: 'decode', done, total }),
  });
  for (const skipped of loaded.skipped) warnings.push(`skipped ${skipped.reason}`);
  if (cache?.warning) warnings.push(cache.warning);

  // Positions in the pixel buffer of each split's images that decoded.
  const slotOf = new Int32Array(folder.images.length).fill(-1);
  loaded.loaded.forEach((imageIndex, slot) => { slotOf[imageIndex] = slot; });
  const slotsOf = (images: number[]) => Int32Array.from(images.map((i) => slotOf[i]).filter((slot) => slot >= 0));
  const trainSlots = slotsOf(trainImages);
  const validationSlots = slotsOf(validationImages);
  const testSlots = slotsOf(test);
  const slotLabels = Int32Array.from(loaded.loaded, (imageIndex) => labels[imageIndex]);
  const trainCounts = classCounts(Int32Array.from(trainSlots, (slot) => slotLabels[slot]), classes.length);
  const missing = classes.filter((_, label) => trainCounts[label] === 0);
  if (missing.length) throw new WbcError(`no readable training images left for: ${missing.join(', ')}`);
  if (testSlots.length === 0) throw new WbcError('no readable test images; add images or raise --test-fraction');

  const { mean, std } = channelStatistics(loaded.pixels, storedSize, settings.inputSize, trainSlots);
  const relative = (slots: Int32Array) => Array.from(slots, (slot) => path.relative(folder.root, folder.images[loaded.loaded[slot]].path));
  const split = { train: relative(trainSlots), validation: relative(validationSlots), test: relative(testSlots) };
  return {
    classes,
    pixels: loaded.pixels,
    storedSize,
    trainSlots,
    validationSlots,
    testSlots,
    slotLabels,
    split,
    contentHashes: await contentHashesOf(folder.root, split),
    mean,
    std,
    imagesPerClass: Object.fromEntries(classCounts(labels, classes.length).map((count, label) => [classes[label], count])),
    skipped: relativeSkipped(loaded.skipped, folder.root),
    warnings,
  };
}

/** The classes of the images in these slots. */
export function labelsAt(data: TrainingData, slots: Int32Array): Int32Array {
  return Int32Array.from(slots, (slot) => data.slotLabels[slot]);
}
