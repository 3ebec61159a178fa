import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBoolean, checkString, optional } from '../util/check';
import { messageOf, WbcError } from '../util/errors';
import { isSameOrInside, makeFolders, realPathOf } from '../util/folders';
import { cleanUpOnInterrupt, isProcessRunning } from '../util/interrupt';
import { scanImageFolder, type ImageFolder } from './image-folder';
import { pathInClass, SPLIT_DEFAULTS, stableSplit } from './split';

function isNonEmptyFolder(dir: string): boolean {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch {
    return false;
  }
  if (!stats.isDirectory()) throw new WbcError(`${dir} exists and is not a folder`);
  try {
    return fs.readdirSync(dir).length > 0;
  } catch (error) {
    throw new WbcError(`cannot read folder ${dir} (${messageOf(error)})`);
  }
}

/** The work folders of a run beside outDir: `<out>.partial-<pid>` while copying, `<out>.old-<pid>` while swapping. */
function workFolder(target: string, kind: 'partial' | 'old', pid = process.pid): string {
  return `${target}.${kind}-${pid}`;
}

/** Removes the work folders that killed runs left beside `target`; those of live runs stay. */
function removeLeftovers(target: string): void {
  const parent = path.dirname(target);
  const pattern = new RegExp(`^${path.basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(partial|old)-(\\d+)$`);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (match && !isProcessRunning(Number(match[2]))) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

async function copySplit(
  folder: ImageFolder,
  split: { train: number[]; test: number[] },
  target: string,
  interrupted: () => boolean,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const total = split.train.length + split.test.length;
  let done = 0;
  for (const [part, indices] of [['train', split.train], ['test', split.test]] as const) {
    // Every class gets a folder on both sides, so the output mirrors the source even where a side has no images.
    for (const name of folder.classes) makeFolders(path.join(target, part, name));
    for (const index of indices) {
      if (interrupted()) throw new WbcError('interrupted');
      const image = folder.images[index];
      if (image === undefined) throw new WbcError(`split refers to image ${index}, but the folder has ${folder.images.length}`);
      // Images in nested folders keep their sub-folders, so that equal names in two slides never overwrite each other.
      const destination = path.join(target, part, folder.classes[image.label], pathInClass(folder, index));
      makeFolders(path.dirname(destination));
      // COPYFILE_FICLONE shares blocks on file systems that can, and falls back to a plain copy elsewhere.
      await fs.promises.copyFile(image.path, destination, fs.constants.COPYFILE_FICLONE);
      done += 1;
      onProgress?.(done, total);
    }
  }
}

/** Moves the finished copy into place; an existing outDir is removed only once the new one has replaced it. */
function replaceFolder(finished: string, outDir: string): void {
  if (!fs.existsSync(outDir)) {
    fs.renameSync(finished, outDir);
    return;
  }
  const old = workFolder(outDir, 'old');
  fs.rmSync(old, { recursive: true, force: true });
  fs.renameSync(outDir, old);
  try {
    fs.renameSync(finished, outDir);
  } catch (error) {
    fs.renameSync(old, outDir);
    throw error;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Copies a folder's images into outDir/train/<class>/ and outDir/test/<class>/, keeping their paths
 * within the class folder. The copy is built in a sibling folder and renamed into place, so an interrupted
 * run leaves no half-written outDir; Ctrl-C removes the sibling, and a later run removes one a kill left.
 */
export async function writeSplitFolders(
  folder: ImageFolder,
  split: { train: number[]; test: number[] },
  outDir: string,
  options: { force?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ train: number; test: number }> {
  const target = realPathOf(outDir);
  const source = realPathOf(folder.root);
  // Inside the source, the split would become a class of it; around the source, --force would delete the images.
  if (isSameOrInside(target, source) || isSameOrInside(source, target)) {
    throw new WbcError(`${outDir} overlaps the image folder ${folder.root}; choose a folder outside it`);
  }
  if (isNonEmptyFolder(target) && !options.force) {
    throw new WbcError(`${outDir} already exists and is not empty (use --force to replace it)`);
  }
  removeLeftovers(target);
  const partial = workFolder(target, 'partial');
  const removePartial = () => fs.rmSync(partial, { recursive: true, force: true });
  removePartial();
  try {
    await cleanUpOnInterrupt(removePartial, (interrupted) => copySplit(folder, split, partial, interrupted, options.onProgress));
    replaceFolder(partial, target);
  } catch (error) {
    removePartial();
    if (error instanceof WbcError) throw error;
    throw new WbcError(`cannot write the split to ${outDir}: ${messageOf(error)}`);
  }
  return { train: split.train.length, test: split.test.length };
}

export interface SplitFolderOptions {
  out: string;
  /** As for `wbc train` (defaults too): the same settings give the same test images. */
  testFraction?: number;
  validationFraction?: number;
  seed?: number;
  /** See SplitSettings.groupBy. */
  groupBy?: string;
  /** Replace an existing, non-empty `out`. */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Copies a labelled folder into out/train/<class>/ and out/test/<class>/ with the split `wbc train` makes
 * with the same test fraction and seed. Returns the counts and the folder's warnings.
 */
export async function splitFolder(dataDir: string, options: SplitFolderOptions): Promise<{ train: number; test: number; warnings: string[] }> {
  checkString('--out', options?.out);
  optional(options.force, (v) => checkBoolean('--force', v));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new WbcError('onProgress must be a function');
  const settings = {
    testFraction: options.testFraction ?? SPLIT_DEFAULTS.testFraction,
    validationFraction: options.validationFraction ?? SPLIT_DEFAULTS.validationFraction,
    seed: options.seed ?? SPLIT_DEFAULTS.seed,
    groupBy: options.groupBy,
  };
  const folder = scanImageFolder(dataDir);
  // Validation images of `wbc train` are training images here.
  const sides = stableSplit(folder, settings);
  const train = [...sides.train, ...sides.validation].sort((a, b) => a - b);
  const counts = await writeSplitFolders(folder, { train, test: sides.test }, options.out, { force: options.force, onProgress: options.onProgress });
  return { ...counts, warnings: folder.warnings };
}
