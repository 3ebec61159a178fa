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

/** The folder's entries, hidden ones left out, in code-point order so that walks and their warnings are the same everywhere. */
function readEntries(dir: string): fs.Dirent[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !isHidden(entry.name))
    .sort((a, b) => compareCodePoints(a.name, b.name));
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

/** What a walk below one folder found. */
interface Found {
  /** Absolute paths of image files, unsorted. */
  files: string[];
  /** Files that are not images. */
  notImages: number;
  /** Image-named entries that are not regular files (a FIFO, a socket, a device): never opened, since reading one may hang. */
  notRegular: string[];
}

/**
 * Walks folders recursively, following symbolic links. A folder is read once, recognised by device and
 * inode, so a link loop or a second link to a folder already read is reported, never followed again.
 * A sub-folder that cannot be read is reported and the walk goes on.
 */
class FolderWalker {
  /** Folders read so far (device:inode) and the name each was first read under. */
  private readonly seen = new Map<string, string>();
  readonly warnings: string[] = [];

  /** Marks `dir` as read and returns its identity; undefined, with a warning, when it was read before or cannot be read. */
  private enter(dir: string, shown: string, ancestors: ReadonlySet<string>): string | undefined {
    let stats: fs.Stats;
    try {
      stats = fs.statSync(dir);
    } catch (error) {
      this.cannotRead(shown, error);
      return undefined;
    }
    const id = `${stats.dev}:${stats.ino}`;
    const first = this.seen.get(id);
    if (first !== undefined) {
      this.warnings.push(ancestors.has(id)
        ? `${shown}: not followed: a loop of symbolic links back to ${first}`
        : `${shown}: not read again: the same folder as ${first}`);
      return undefined;
    }
    this.seen.set(id, shown);
    return id;
  }

  /** Images at any depth below `dir`; `shown` names it in warnings. */
  walk(dir: string, shown: string, found: Found = { files: [], notImages: 0, notRegular: [] }, ancestors: ReadonlySet<string> = new Set()): Found {
    const id = this.enter(dir, shown, ancestors);
    if (id === undefined) return found;
    let entries: fs.Dirent[];
    try {
      entries = readEntries(dir);
    } catch (error) {
      this.cannotRead(shown, error);
      return found;
    }
    const inside = new Set([...ancestors, id]);
    for (const entry of entries) {
      const kind = kindOf(dir, entry);
      if (kind === 'folder') this.walk(path.join(dir, entry.name), `${shown}/${entry.name}`, found, inside);
      else if (isImageEntry(kind, entry.name)) found.files.push(path.join(dir, entry.name));
      else {
        found.notImages += 1;
        if (kind === 'other' && isImageName(entry.name)) found.notRegular.push(path.join(dir, entry.name));
      }
    }
    return found;
  }

  private cannotRead(shown: string, error: unknown): void {
    this.warnings.push(`${shown}: cannot read this folder (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}), skipped`);
  }

  /** Marks the top folder as read, so that a link back to it counts as a loop; returns the ancestry to walk its sub-folders with. */
  top(dir: string, shown: string): ReadonlySet<string> {
    return new Set([this.enter(dir, shown, new Set())!]);
  }
}

/**
 * Reads an ImageFolder layout: root/<class>/<images, at any depth>. Classes are the first-level
 * sub-folders that hold images, in code-point order; anything else is skipped with a warning rather than an error.
 */
export function scanImageFolder(root: string): ImageFolder {
  requireFolder(root);
  const absoluteRoot = path.resolve(root);
  const walker = new FolderWalker();
  const insideRoot = walker.top(absoluteRoot, root);
  let topEntries: fs.Dirent[];
  try {
    topEntries = readEntries(absoluteRoot);
  } catch (error) {
    throw new WbcError(`cannot read folder ${root} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
  const classFolders: string[] = [];
  let looseEntries = 0;
  for (const entry of topEntries) {
    if (kindOf(absoluteRoot, entry) === 'folder') classFolders.push(entry.name);
    else looseEntries += 1;
  }
  const warnings: string[] = [];
  if (looseEntries > 0) {
    warnings.push(
      `${root}: ${plural(looseEntries, 'file is', 'files are')} not in a class sub-folder and ${looseEntries === 1 ? 'was' : 'were'} ignored`,
    );
  }

  const classes: string[] = [];
  const images: LabelledImage[] = [];
  for (const name of classFolders.sort(compareCodePoints)) {
    const found = walker.walk(path.join(absoluteRoot, name), name, undefined, insideRoot);
    warnings.push(...walker.warnings.splice(0));
    if (found.notImages > 0) {
      warnings.push(
        `${name}: ${plural(found.notImages, 'file is not an image and was', 'files are not images and were')} skipped`,
      );
    }
    if (found.files.length === 0) {
      warnings.push(`${name}: no images, so it is not used as a class`);
      continue;
    }
    const label = classes.length;
    classes.push(name);
    for (const file of found.files.sort(compareCodePoints)) images.push({ path: file, label });
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

export interface UnlabelledFolder {
  root: string;
  /** Absolute paths of the images at any depth, in natural order of their paths (2.jpg before 10.jpg). */
  files: string[];
  /** Link loops and unreadable sub-folders, which were skipped. */
  warnings: string[];
  /** Absolute paths of image-named entries that are not regular files (a FIFO, a socket, a device), skipped unopened. */
  notRegular: string[];
}

/** Finds the images in an unlabelled folder and its sub-folders, at any depth; files that are not images are ignored. */
export function scanImages(dir: string): UnlabelledFolder {
  requireFolder(dir);
  const root = path.resolve(dir);
  const walker = new FolderWalker();
  const { files, notRegular } = walker.walk(root, dir);
  if (files.length === 0) {
    const unreadable = walker.warnings.length ? ` (${walker.warnings.join('; ')})` : '';
    throw new WbcError(`${dir} has no images (looking for ${IMAGE_EXTENSIONS.join(' ')})${unreadable}`);
  }
  const relative = new Map(files.map((file) => [file, path.relative(root, file)]));
  files.sort((a, b) => naturalOrder.compare(relative.get(a)!, relative.get(b)!) || compareCodePoints(a, b));
  return { root, files, warnings: walker.warnings, notRegular: notRegular.sort(compareCodePoints) };
}

/** Absolute paths of the images in `dir` and its sub-folders (an unlabelled folder), in natural order. */
export function listImages(dir: string): string[] {
  return scanImages(dir).files;
}
