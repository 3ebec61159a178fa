import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { isSameOrInside } from '../util/folders';

const BROWSER_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

export interface ServedImage {
  type: string;
  body: Buffer;
}

/** The real path of a stored cell's file when it (links followed) is a file inside the opened folder; else undefined. */
export function cellImagePath(realImageDir: string, file: string): string | undefined {
  try {
    const real = fs.realpathSync(path.join(realImageDir, file));
    return real !== realImageDir && isSameOrInside(real, realImageDir) && fs.statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The image of a stored cell's file, read only when it lies inside the opened folder (see cellImagePath),
 * and only while its content is the one classified (`sha256`, when known): else 'changed'. Formats
 * browsers do not show (TIFF) are sent as PNG.
 */
export async function readCellImage(realImageDir: string, file: string, sha256: string | null): Promise<ServedImage | 'changed' | undefined> {
  const real = cellImagePath(realImageDir, file);
  if (real === undefined) return undefined;
  const type = BROWSER_TYPES[path.extname(real).toLowerCase()];
  try {
    const bytes = await fs.promises.readFile(real);
    if (sha256 !== null && createHash('sha256').update(bytes).digest('hex') !== sha256) return 'changed';
    if (type) return { type, body: bytes };
    return { type: 'image/png', body: await sharp(bytes).png().toBuffer() };
  } catch {
    return undefined;
  }
}
