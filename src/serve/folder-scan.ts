import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanImages } from '../data/image-folder';
import { WbcError } from '../util/errors';
import { isSameOrInside } from '../util/folders';
import type { RefusedFile } from './api-schemas';

export interface FolderScan {
  /** Each image file inside the folder (relative path) and the SHA-256 of its content. */
  sha256: Map<string, string>;
  /** Image-named files that are not counted: their real path leaves the folder, or they cannot be read. */
  refused: RefusedFile[];
  /** Link loops and unreadable sub-folders, as the folder walk reports them. */
  warnings: string[];
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'unknown error';
}

const NOT_REGULAR = 'not a regular file (a FIFO, a socket or a device): never opened';

/**
 * The SHA-256 of a regular file's content, or undefined for anything else. Opened without blocking and
 * checked on the open descriptor: a FIFO swapped in after the folder walk must not hang the scan.
 */
async function hashRegularFile(file: string): Promise<string | undefined> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    return createHash('sha256').update(await handle.readFile()).digest('hex');
  } finally {
    await handle.close();
  }
}

/** What a rescan sees: every image of the folder with its content's hash, and the files it refuses, with why. */
export async function scanFolder(realImageDir: string): Promise<FolderScan> {
  const scan: FolderScan = { sha256: new Map(), refused: [], warnings: [] };
  let files: string[];
  try {
    const found = scanImages(realImageDir);
    files = found.files;
    scan.warnings.push(...found.warnings);
    for (const file of found.notRegular) scan.refused.push({ file: path.relative(realImageDir, file), reason: NOT_REGULAR });
  } catch (error) {
    if (!(error instanceof WbcError)) throw error;
    scan.warnings.push(error.message); // a folder emptied since the review began: its cells are all missing
    return scan;
  }
  for (const file of files) {
    const relative = path.relative(realImageDir, file);
    let real: string;
    try {
      real = await fs.promises.realpath(file);
    } catch (error) {
      scan.refused.push({ file: relative, reason: `cannot be read (${codeOf(error)}: a link to nothing, or a loop)` });
      continue;
    }
    if (!isSameOrInside(real, realImageDir)) {
      scan.refused.push({ file: relative, reason: 'its real path leaves the folder' });
      continue;
    }
    try {
      const sha256 = await hashRegularFile(real);
      if (sha256 === undefined) scan.refused.push({ file: relative, reason: NOT_REGULAR });
      else scan.sha256.set(relative, sha256);
    } catch (error) {
      scan.refused.push({ file: relative, reason: `cannot be read (${codeOf(error)})` });
    }
  }
  return scan;
}
