import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { messageOf, WbcError } from '../util/errors';
import { makeFolders } from '../util/folders';
import { DECODER_VERSION } from './decode';

/** $WBC_CACHE_DIR, else $XDG_CACHE_HOME/wbc-classifier, else ~/.cache/wbc-classifier. */
export function defaultCacheDir(): string {
  const explicit = process.env.WBC_CACHE_DIR;
  if (explicit) return path.resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'wbc-classifier');
  return path.join(os.homedir(), '.cache', 'wbc-classifier');
}

/**
 * Decoded pixels on disk, one file per image and stored size, so that a second run need not decode again.
 * The key covers the file's path, size and modification time, so an edited image is decoded afresh.
 * The cache is only an optimisation: any failure is a miss, and the first one is kept in `warning`.
 */
export class PixelCache {
  private writable = true;
  private firstWarning: string | undefined;

  constructor(private readonly dir: string) {}

  /** The first problem met (for example a read-only cache folder), for the caller to show once. */
  get warning(): string | undefined {
    return this.firstWarning;
  }

  get(file: string, storedSize: number): Buffer | undefined {
    const entry = this.entryPath(file, storedSize);
    if (entry === undefined) return undefined;
    let pixels: Buffer;
    try {
      pixels = fs.readFileSync(entry);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`pixel cache not readable (${messageOf(error)})`);
      return undefined;
    }
    // A short entry means a foreign or damaged file; decoding again is the safe answer.
    return pixels.length === storedSize * storedSize * 3 ? pixels : undefined;
  }

  put(file: string, storedSize: number, pixels: Buffer): void {
    if (!this.writable) return;
    const entry = this.entryPath(file, storedSize);
    if (entry === undefined) return;
    try {
      makeFolders(path.dirname(entry));
      writeFileAtomic(entry, pixels, { durable: false });
    } catch (error) {
      // Stop trying after the first failure: a read-only or full disk will not get better during the run.
      this.writable = false;
      this.warn(`pixel cache disabled: cannot write to ${this.dir} (${messageOf(error)})`);
    }
  }

  /** undefined when the image itself cannot be examined; decoding will report why. */
  private entryPath(file: string, storedSize: number): string | undefined {
    const absolute = path.resolve(file);
    let stats: fs.Stats;
    try {
      stats = fs.statSync(absolute);
    } catch {
      return undefined;
    }
    const key = createHash('sha256')
      .update(JSON.stringify([absolute, stats.size, stats.mtimeMs, storedSize, DECODER_VERSION]))
      .digest('hex');
    return path.join(this.dir, String(storedSize), key.slice(0, 2), `${key}.rgb`);
  }

  private warn(message: string): void {
    this.firstWarning ??= message;
  }
}

/**
 * The cache a command asked for: a folder, null for none, undefined for the default folder. A folder the
 * user named must be usable, or the run stops before any work; the default folder only warns (see warning).
 */
export function openPixelCache(dir: string | null | undefined): PixelCache | undefined {
  if (dir === null) return undefined;
  if (dir !== undefined) {
    try {
      makeFolders(dir);
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (error) {
      throw new WbcError(`cannot use the cache folder ${dir}: ${messageOf(error)}`);
    }
  }
  return new PixelCache(dir ?? defaultCacheDir());
}
