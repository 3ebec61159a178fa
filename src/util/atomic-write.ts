import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProcessRunning } from './interrupt';

let counter = 0;

/** The suffix of every temporary file made here, so that leftovers of a killed run can be recognised. */
export const TEMPORARY_SUFFIX = '.tmp';

/** A unique temporary path beside `target`, on the same file system so that rename is atomic. */
export function temporaryPathFor(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter}${TEMPORARY_SUFFIX}`);
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a rename in `dir` survive a power cut; file systems that cannot sync a folder are let be. */
export function fsyncDirectory(dir: string): void {
  try {
    fsyncPath(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  }
}

export interface AtomicWriteOptions {
  /**
   * Also sync the folder after the rename, so that the new content, not the old, survives a power cut
   * (default true). A cache, which may lose an entry without harm, saves that second sync per file.
   */
  durable?: boolean;
}

/**
 * Replaces `target` so that readers, and a run killed at any moment, only ever see the old or the
 * complete new content: `write` fills a temporary file beside it, which is synced to disk and then
 * renamed over the target.
 */
export function replaceFileAtomic(target: string, write: (temporary: string) => void, options: AtomicWriteOptions = {}): void {
  const temporary = temporaryPathFor(target);
  try {
    write(temporary);
    fsyncPath(temporary);
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  if (options.durable ?? true) fsyncDirectory(path.dirname(target));
}

/** replaceFileAtomic for content already in memory. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  replaceFileAtomic(target, (temporary) => fs.writeFileSync(temporary, data), options);
}


/** Removes the temporary files in `dir` that a killed process left behind; those of live writers stay. */
export function removeLeftoverTemporaries(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const writer = /^\..+\.(\d+)\.\d+\.tmp$/.exec(name);
    if (writer && !isProcessRunning(Number(writer[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}
