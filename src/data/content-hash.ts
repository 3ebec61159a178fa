import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

/** Hex digits kept of each SHA-256: 64 bits: among a million images, two share one by chance with odds of about 1 in 37 million. */
const DIGITS = 16;

/** A short fingerprint of a file's bytes: the same image under another name or in a copied folder has the same one. */
export async function contentHash(file: string): Promise<string> {
  const bytes = await fs.promises.readFile(file);
  return createHash('sha256').update(bytes).digest('hex').slice(0, DIGITS);
}

/**
 * Content hashes of many files, a few read at a time; a file that cannot be read gets null (decoding reports
 * why). Results are in the order of `files`.
 */
export async function contentHashes(files: readonly string[], concurrency = 8): Promise<(string | null)[]> {
  const hashes = new Array<string | null>(files.length).fill(null);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const index = next;
      next += 1;
      hashes[index] = await contentHash(files[index]).catch(() => null);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return hashes;
}
