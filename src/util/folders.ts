import * as fs from 'node:fs';
import * as path from 'node:path';
import { WbcError } from './errors';

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'unknown error';
}

/**
 * mkdir -p, one level at a time. Node's own `mkdirSync(dir, { recursive: true })` loops forever on some
 * file systems (under /proc, for one), so it is never used on a path a user chose.
 */
export function makeFolders(dir: string): void {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    let stats: fs.Stats | undefined;
    try {
      stats = fs.statSync(current);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw new WbcError(`cannot create folder ${dir} (${codeOf(error)} at ${current})`);
    }
    if (stats) {
      if (!stats.isDirectory()) throw new WbcError(`cannot create folder ${dir}: ${current} is not a folder`);
      break;
    }
    if (path.dirname(current) === current) break;
    missing.unshift(current);
  }
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw new WbcError(`cannot create folder ${dir} (${codeOf(error)})`);
    }
  }
}

/** The real path of `target`, following links, where the part that does not exist yet is kept as written. */
export function realPathOf(target: string): string {
  const absolute = path.resolve(target);
  const rest: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    try {
      return path.join(fs.realpathSync(current), ...rest);
    } catch {
      if (path.dirname(current) === current) return absolute;
      rest.unshift(path.basename(current));
    }
  }
}

/** True when `child` is `parent` or lies inside it (both real paths). */
export function isSameOrInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative));
}
