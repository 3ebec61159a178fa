import * as fs from 'node:fs';
import * as path from 'node:path';
import { messageOf, WbcError } from '../util/errors';
import type { ImageFolder } from './image-folder';
import { pathInClass } from './split';

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

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

function copySplit(folder: ImageFolder, split: { train: number[]; test: number[] }, target: string): void {
  for (const [part, indices] of [['train', split.train], ['test', split.test]] as const) {
    // Every class gets a folder on both sides, so the output mirrors the source even where a side has no images.
    for (const name of folder.classes) fs.mkdirSync(path.join(target, part, name), { recursive: true });
    for (const index of indices) {
      const image = folder.images[index];
      if (image === undefined) throw new WbcError(`split refers to image ${index}, but the folder has ${folder.images.length}`);
      // Images in nested folders keep their sub-folders, so that equal names in two slides never overwrite each other.
      const destination = path.join(target, part, folder.classes[image.label], pathInClass(folder, index));
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      // COPYFILE_FICLONE shares blocks on file systems that can, and falls back to a plain copy elsewhere.
      fs.copyFileSync(image.path, destination, fs.constants.COPYFILE_FICLONE);
    }
  }
}

/** Moves the finished copy into place; an existing outDir is removed only once the new one has replaced it. */
function replaceFolder(finished: string, outDir: string): void {
  if (!fs.existsSync(outDir)) {
    fs.renameSync(finished, outDir);
    return;
  }
  const old = `${outDir}.old-${process.pid}`;
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
 * Copies a folder's images into outDir/train/<class>/ and outDir/test/<class>/, keeping file names.
 * The copy is built in a sibling folder and renamed into place, so an interrupted run leaves no half-written outDir.
 */
export function writeSplitFolders(
  folder: ImageFolder,
  split: { train: number[]; test: number[] },
  outDir: string,
  options: { force?: boolean } = {},
): { train: number; test: number } {
  const target = path.resolve(outDir);
  // Inside the source, the split would become a class of it; around the source, force would delete the images.
  if (isInside(target, folder.root) || isInside(folder.root, target)) {
    throw new WbcError(`${outDir} overlaps the image folder ${folder.root}; choose a folder outside it`);
  }
  if (isNonEmptyFolder(target) && !options.force) {
    throw new WbcError(`${outDir} already exists and is not empty (use --force to replace it)`);
  }
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  try {
    copySplit(folder, split, partial);
    replaceFolder(partial, target);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (error instanceof WbcError) throw error;
    throw new WbcError(`cannot write the split to ${outDir}: ${messageOf(error)}`);
  }
  return { train: split.train.length, test: split.test.length };
}
