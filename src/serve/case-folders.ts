import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS, scanImages } from '../data/image-folder';
import { WbcError } from '../util/errors';
import { isSameOrInside } from '../util/folders';

const isImageName = (name: string) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/** Whether a folder holds image files itself (not only in sub-folders): then it is one case, reviewed as a whole. */
export function holdsImagesDirectly(realDir: string): boolean {
  return fs.readdirSync(realDir, { withFileTypes: true })
    .some((entry) => !entry.name.startsWith('.') && isImageName(entry.name) && !entry.isDirectory());
}

/**
 * The first-level sub-folders of a folder of cases that hold images (at any depth), by name, in
 * code-point order; `known` ones are not walked again. Hidden folders are skipped, and so is a link whose
 * real path leaves the folder: a case is always inside the folder served.
 */
export function findCaseFolders(realRoot: string, known: ReadonlySet<string>): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(realRoot, { withFileTypes: true });
  } catch (error) {
    throw new WbcError(`cannot read the folder of cases ${realRoot} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    if (known.has(entry.name)) {
      found.push(entry.name);
      continue;
    }
    const folder = path.join(realRoot, entry.name);
    try {
      const real = fs.realpathSync(folder);
      if (real === realRoot || !isSameOrInside(real, realRoot) || !fs.statSync(real).isDirectory()) continue;
      scanImages(real);
      found.push(entry.name);
    } catch {
      // Not a folder, or no images yet (being copied in): looked at again at the next poll.
    }
  }
  return found.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
