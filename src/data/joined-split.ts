import * as path from 'node:path';
import type { ImageFolder } from './image-folder';
import { stableSplit, type Sides, type SplitSettings } from './split';

/** The images of one or more labelled folders as one set of classes, split stably. */
export interface JoinedImages {
  /** The first folder's classes, then the next folder's, and so on. */
  classes: string[];
  /** Absolute paths, the first folder's images first. */
  paths: string[];
  labels: number[];
  /** The folder each image was found in. */
  roots: string[];
  /** Indices into `paths`, ascending, on each side. */
  sides: Sides;
}

/**
 * Joins folders whose class names are all distinct (the caller checks) and splits each one with
 * stableSplit, so an image lands on the side it would have alone: a folder added later (the non-white
 * kinds) never moves an image of the first. One folder gives exactly stableSplit's sides.
 */
export function splitJoinedFolders(folders: readonly ImageFolder[], settings: SplitSettings): JoinedImages {
  const joined: JoinedImages = { classes: [], paths: [], labels: [], roots: [], sides: { train: [], validation: [], test: [] } };
  for (const folder of folders) {
    const firstLabel = joined.classes.length;
    const firstIndex = joined.paths.length;
    const sides = stableSplit(folder, settings);
    joined.classes.push(...folder.classes);
    for (const image of folder.images) {
      joined.paths.push(image.path);
      joined.labels.push(firstLabel + image.label);
      joined.roots.push(folder.root);
    }
    for (const side of ['train', 'validation', 'test'] as const) joined.sides[side].push(...sides[side].map((index) => firstIndex + index));
  }
  return joined;
}

/**
 * An image's path relative to the folder it was found in. Its first part is its class, and class names are
 * distinct across joined folders, so these paths never collide and `wbc evaluate --split test` finds each
 * folder's held-out images in that folder.
 */
export function pathInJoinedFolder(joined: JoinedImages, index: number): string {
  return path.relative(joined.roots[index], joined.paths[index]);
}
