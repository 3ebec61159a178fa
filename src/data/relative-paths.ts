import * as path from 'node:path';

/**
 * Skipped files with their paths made relative to the data folder, in the path and at the start of the
 * reason, so that what is saved in a model names no folder of the machine it was trained on.
 */
export function relativeSkipped(skipped: readonly { path: string; reason: string }[], root: string): { path: string; reason: string }[] {
  return skipped.map(({ path: file, reason }) => {
    const relative = path.relative(root, file);
    return { path: relative, reason: reason.startsWith(`${file}: `) ? `${relative}${reason.slice(file.length)}` : reason };
  });
}
