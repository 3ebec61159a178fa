import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';
import { CHAIN_START, type ChainCheck } from './audit-chain';

/**
 * The chain's head kept in a second file beside the database (`<db>.chain-head`): removing entries from
 * the end of the chain, or recomputing the chain after an edit, leaves a database whose chain holds on
 * its own, but no longer ends at this head.
 */
export function chainHeadFile(db: string): string {
  return `${db}.chain-head`;
}

export function writeChainHead(file: string, head: string): void {
  writeFileAtomic(file, `${head}\n`);
}

/** What is wrong between the head file and a chain that holds on its own; undefined when they agree. */
export function headFileProblem(file: string, chain: ChainCheck): string | undefined {
  let saved: string;
  try {
    saved = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return chain.head === CHAIN_START ? undefined : `${file} is missing, so the end of the audit chain cannot be checked`;
  }
  // A head the chain passed through: a kill after a change was committed and before this file was rewritten.
  if (saved === CHAIN_START || chain.hashes.includes(saved)) return undefined;
  return `the audit chain does not end at the head recorded in ${file}: entries were removed or rewritten outside wbc`;
}
