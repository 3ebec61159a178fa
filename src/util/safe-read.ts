import * as fs from 'node:fs';
import { WbcError } from './errors';

/**
 * The whole content of a regular file of at most `maxBytes`. Opened without blocking and checked on the
 * open descriptor, so that a FIFO, a device such as /dev/zero, a folder or a file swapped in between the
 * check and the read is refused in one line instead of hanging or filling memory.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WbcError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? 'unknown error'})`);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new WbcError(`${file} is not a regular file`);
    if (stats.size > maxBytes) throw new WbcError(`${file} is too large (${stats.size} bytes; at most ${maxBytes} expected)`);
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = fs.readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } catch (error) {
    if (error instanceof WbcError) throw error;
    throw new WbcError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  } finally {
    fs.closeSync(fd);
  }
}
