import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** A unique temporary path beside `target`, on the same file system so that rename is atomic. */
export function temporaryPathFor(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter}.tmp`);
}

/**
 * Writes a file so that readers only ever see the old or the complete new content:
 * write to a temporary file beside it, fsync, then rename over the target.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const temporary = temporaryPathFor(target);
  try {
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
