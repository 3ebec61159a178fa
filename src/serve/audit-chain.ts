import { createHash } from 'node:crypto';

/** The hash before the first entry. */
export const CHAIN_START = '0'.repeat(64);

/** What an audit entry records: a person's label change or comment, or what a rescan of the folder found. */
export type AuditKind = 'label' | 'comment' | 'added' | 'missing' | 'returned' | 'replaced' | 'hashed';

/** One audit entry as the chain sees it: every field that the audit trail shows. */
export interface ChainedChange {
  id: number;
  kind: AuditKind;
  at: string;
  who: string;
  /** Null for a comment on the whole case. */
  cell_id: number | null;
  old_label: string | null;
  new_label: string | null;
  /** Why a rescan event happened; null for a label change. */
  reason: string | null;
  hash: string | null;
}

/** The sign-off as the chain sees it: it seals the head of the label changes before it. */
export interface ChainedSignOff {
  name: string;
  at: string;
  chain_head: string | null;
  hash: string | null;
}

/**
 * SHA-256 over the previous entry's hash and this entry's canonical content (a JSON array, its fields in
 * a fixed order): changing, removing or reordering an entry changes every hash after it.
 */
function link(previous: string, content: readonly unknown[]): string {
  return createHash('sha256').update(`${previous}\n${JSON.stringify(content)}`).digest('hex');
}

export function changeHash(previous: string, change: Omit<ChainedChange, 'hash'>): string {
  return link(previous, [change.kind, change.id, change.at, change.who, change.cell_id, change.old_label, change.new_label, change.reason]);
}

export function signOffHash(signOff: Omit<ChainedSignOff, 'hash'>): string {
  return link(signOff.chain_head ?? CHAIN_START, ['sign-off', signOff.name, signOff.at]);
}

export interface ChainCheck {
  /** The last entry's hash (the sign-off's once signed); CHAIN_START for an empty chain. */
  head: string;
  /** Every hash of the chain, oldest first: a head file that lags behind (a kill between commit and write) names one of them. */
  hashes: string[];
  /** The first entry that does not match, in one line; absent when the chain holds. */
  problem?: string;
}

/** Recomputes the chain of the label changes (in id order) and the sign-off, and names the first entry that breaks it. */
export function checkChain(changes: readonly ChainedChange[], signOff: ChainedSignOff | undefined): ChainCheck {
  let head = CHAIN_START;
  const hashes: string[] = [];
  for (const change of changes) {
    const expected = changeHash(head, change);
    if (change.hash !== expected) {
      return { head, hashes, problem: `audit entry ${change.id} does not match the chain: it, or an entry before it, was changed or removed outside wbc` };
    }
    head = expected;
    hashes.push(head);
  }
  if (signOff) {
    if (signOff.chain_head !== head || signOff.hash !== signOffHash(signOff)) {
      return { head, hashes, problem: 'the sign-off does not match the chain: it, or the audit entries it sealed, were changed outside wbc' };
    }
    head = signOff.hash;
    hashes.push(head);
  }
  return { head, hashes };
}
