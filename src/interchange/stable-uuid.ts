import { createHash } from 'node:crypto';

/** This project's namespace for name-based UUIDs (RFC 9562 §5.5); any fixed value would do, it must never change. */
const NAMESPACE = Buffer.from('6f1c1d8e1b7a4c5e9a3f2d0b7c4e8a15', 'hex');

/**
 * A name-based (version 5, SHA-1) UUID of `parts`: the same parts give the same UUID on every run and
 * machine, so an export can be made again and compared, and a receiver can tell a resent resource.
 */
export function stableUuid(...parts: readonly string[]): string {
  const hash = createHash('sha1').update(NAMESPACE).update(JSON.stringify(parts)).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
