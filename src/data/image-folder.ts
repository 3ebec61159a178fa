import * as fs from 'node:fs';
import * as path from 'node:path';
import { WbcError } from '../util/errors';

/** File extensions treated as images, compared case-insensitively. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp'];

export interface LabelledImage {
  /** Absolute path. */
  path: string;
  /** Index into the folder's `classes`. */
  label: number;
}

export interface ImageFolder {
  root: string;
  classes: string[];
  images: LabelledImage[];
  warnings: string[];
}

type EntryKind = 'file' | 'folder' | 'broken-link' | 'other';

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

/** Code-point order (UTF-8 byte order), so class indices never depend on the machine's locale. */
function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const naturalOrder = new Intl.Collator('en', { numeric: true });

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Throws a WbcError unless `dir` is an existing folder. */
function requireFolder(dir: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new WbcError(`no such folder: ${dir}`);
    throw new WbcError(`cannot read ${dir} (${code ?? 'unknown error'})`);
  }
  if (!stats.isDirectory()) throw new WbcError(`${dir} is not a folder`);
}

function readEntries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((entry) => !isHidden(entry.name));
  } catch (error) {
    throw new WbcError(`cannot read folder ${dir} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** Follows symbolic links, so linked files and folders count as what they point to. */
function kindOf(dir: string, entry: fs.Dirent): EntryKind {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'folder';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const stats = fs.statSync(path.join(dir, entry.name));
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other';
  } catch {
    return 'broken-link'; // dangling, or a loop
  }
}

/** Image-named files, and image-named links that cannot be followed, which decoding then reports file by file. */
function isImageEntry(kind: EntryKind, name: string): boolean {
  return (kind === 'file' || kind === 'broken-link') && isImageName(name);
}

/**
 * Reads an ImageFolder layout: root/<class>/<image>. Classes are the sub-folders that hold images,
 * in code-point order; anything else is skipped with a warning rather than an error.
 */
export function scanImageFolder(root: string): ImageFolder {
  requireFolder(root);
  const absoluteRoot = path.resolve(root);
  const warnings: string[] = [];
  const classFolders: string[] = [];
  let looseEntries = 0;
  for (const entry of readEntries(absoluteRoot)) {
    if (kindOf(absoluteRoot, entry) === 'folder') classFolders.push(entry.name);
    else looseEntries += 1;
  }
  if (looseEntries > 0) {
    warnings.push(
      `${root}: ${plural(looseEntries, 'file is', 'files are')} not in a class sub-folder and ${looseEntries === 1 ? 'was' : 'were'} ignored`,
    );
  }

  const classes: string[] = [];
  const images: LabelledImage[] = [];
  for (const name of classFolders.sort(compareCodePoints)) {
    const classDir = path.join(absoluteRoot, name);
    const imageNames: string[] = [];
    let notImages = 0;
    let subFolders = 0;
    for (const entry of readEntries(classDir)) {
      const kind = kindOf(classDir, entry);
      if (kind === 'folder') subFolders += 1;
      else if (isImageEntry(kind, entry.name)) imageNames.push(entry.name);
      else notImages += 1;
    }
    if (notImages > 0) {
      warnings.push(
        `${name}: ${plural(notImages, 'file is not an image and was', 'files are not images and were')} skipped`,
      );
    }
    if (subFolders > 0) {
      warnings.push(
        `${name}: ${plural(subFolders, 'sub-folder was', 'sub-folders were')} skipped (images must be directly in the class folder)`,
      );
    }
    if (imageNames.length === 0) {
      warnings.push(`${name}: no images, so it is not used as a class`);
      continue;
    }
    const label = classes.length;
    classes.push(name);
    for (const imageName of imageNames.sort(compareCodePoints)) {
      images.push({ path: path.join(classDir, imageName), label });
    }
  }
  if (classes.length === 0) {
    throw new WbcError(`${root} has no class sub-folders with images (expected ${path.join(root, '<class>', '<image>')})`);
  }
  return { root: absoluteRoot, classes, images, warnings };
}

/** Throws a WbcError unless the folder has at least `minimum` classes. */
export function requireClasses(folder: ImageFolder, minimum: number): void {
  if (folder.classes.length >= minimum) return;
  const found = folder.classes.length === 0 ? 'none' : `only ${folder.classes.map((name) => `'${name}'`).join(', ')}`;
  throw new WbcError(`training needs at least ${minimum} classes; ${folder.root} has ${found}`);
}

/** Absolute paths of the images directly in `dir` (an unlabelled folder), in natural order (2.jpg before 10.jpg). */
export function listImages(dir: string): string[] {
  requireFolder(dir);
  const absoluteDir = path.resolve(dir);
  const names = readEntries(absoluteDir)
    .filter((entry) => isImageEntry(kindOf(absoluteDir, entry), entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => naturalOrder.compare(a, b) || compareCodePoints(a, b));
  if (names.length === 0) {
    throw new WbcError(`${dir} has no images (looking for ${IMAGE_EXTENSIONS.join(' ')})`);
  }
  return names.map((name) => path.join(absoluteDir, name));
}
