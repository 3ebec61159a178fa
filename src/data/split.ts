import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { checkInteger, checkNumber } from '../util/check';
import { WbcError } from '../util/errors';
import type { ImageFolder } from './image-folder';

/**
 * Names the rule below; stored in model.json, so that a later change of rule is visible. Bump it whenever
 * the same image, seed and fractions could land on another side.
 */
export const SPLIT_METHOD = 'sha256-interval-v1';

export interface SplitSettings {
  seed: number;
  /** Share of the images held out for the test. */
  testFraction: number;
  /** Share of the rest kept apart for validation (0: none). */
  validationFraction: number;
  /**
   * A regular expression over each image's path relative to its class folder: images whose paths give the
   * same key (the first capture group, or else the whole match) go to the same side. No match: the image is its own group.
   */
  groupBy?: string;
}

/** The split `wbc train` and `wbc split` make unless told otherwise (so that both draw the same one). */
export const SPLIT_DEFAULTS = { testFraction: 0.2, validationFraction: 0.1, seed: 1 };

/** Indices into the folder's images, ascending, on each side. */
export interface Sides {
  train: number[];
  validation: number[];
  test: number[];
}

export type Side = keyof Sides;

/** A number in [0, 1) that depends only on the seed and the key: the first 48 bits of SHA-256 of both. */
export function splitPosition(seed: number, key: string): number {
  const digest = createHash('sha256').update(`${SPLIT_METHOD}\0${seed}\0${key}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The side of a position: test below testFraction, then a validationFraction share of the rest, then train. */
export function sideAt(position: number, testFraction: number, validationFraction: number): Side {
  if (position < testFraction) return 'test';
  if (position < testFraction + validationFraction * (1 - testFraction)) return 'validation';
  return 'train';
}

/** The path of an image relative to its class folder, with `/` between folders on every system. */
export function pathInClass(folder: ImageFolder, index: number): string {
  const image = folder.images[index];
  return path.relative(path.join(folder.root, folder.classes[image.label]), image.path).split(path.sep).join('/');
}

function compileGroupBy(groupBy: string): RegExp {
  try {
    return new RegExp(groupBy);
  } catch (error) {
    throw new WbcError(`--group-by is not a valid regular expression: ${(error as Error).message}`);
  }
}

/** What an image's side is drawn from: its group's key, or else its own path within its class folder. */
export function splitKey(pathWithinClass: string, groupBy: RegExp | undefined): string {
  const match = groupBy?.exec(pathWithinClass);
  // A group key and a path can never be mistaken for each other.
  if (match) return `group:${match[1] ?? match[0]}`;
  return `file:${pathWithinClass}`;
}

function checkSettings(settings: SplitSettings): void {
  checkInteger('--seed', settings.seed, 0, 2 ** 32 - 1);
  checkNumber('--test-fraction', settings.testFraction, { min: 0, max: 1, minInclusive: false, maxInclusive: false });
  checkNumber('--validation-fraction', settings.validationFraction, { min: 0, max: 1, maxInclusive: false });
}

/**
 * Splits a folder's images into train, validation and test. Each image's side depends only on the seed,
 * the fractions and the image itself (its path within its class folder, or its group's key), so adding,
 * removing or renaming other images or classes never moves it; a class's counts are therefore binomial
 * around the requested fractions, not exact.
 *
 * Without groupBy, two fix-ups keep every class usable: a class with no training image gets its image
 * nearest the training interval; then a class of two or more with no test image gets its image nearest the
 * test interval. They only act on a class with no image on that side, which for a class of n images happens
 * with probability (1 − testFraction)^n (under 1% from 21 images at 0.2), so classes of ordinary size are never touched.
 * With groupBy there are no fix-ups: they would split a group.
 */
export function stableSplit(folder: ImageFolder, settings: SplitSettings): Sides {
  checkSettings(settings);
  const groupBy = settings.groupBy === undefined ? undefined : compileGroupBy(settings.groupBy);
  const positions = folder.images.map((_, index) => splitPosition(settings.seed, splitKey(pathInClass(folder, index), groupBy)));
  const sides = positions.map((position) => sideAt(position, settings.testFraction, settings.validationFraction));

  if (!groupBy) {
    folder.classes.forEach((_, label) => {
      const members = folder.images.flatMap((image, index) => (image.label === label ? [index] : []));
      const byPosition = [...members].sort((a, b) => positions[a] - positions[b]);
      if (!members.some((index) => sides[index] === 'train')) sides[byPosition[byPosition.length - 1]] = 'train';
      if (members.length >= 2 && !members.some((index) => sides[index] === 'test')) sides[byPosition[0]] = 'test';
    });
  }

  const result: Sides = { train: [], validation: [], test: [] };
  sides.forEach((side, index) => result[side].push(index));
  return result;
}

/**
 * At most `maxPerClass` images of each class, for quick trials: those whose position under another key
 * (independent of their side) is lowest, so the choice, like the split, depends only on the seed and each image.
 */
export function stableSubset(folder: ImageFolder, maxPerClass: number, seed: number): ImageFolder {
  const rank = folder.images.map((_, index) => splitPosition(seed, `subset:${pathInClass(folder, index)}`));
  const chosen = folder.classes.flatMap((_, label) => folder.images
    .flatMap((image, index) => (image.label === label ? [index] : []))
    .sort((a, b) => rank[a] - rank[b])
    .slice(0, maxPerClass));
  return { ...folder, images: chosen.sort((a, b) => a - b).map((index) => folder.images[index]) };
}
