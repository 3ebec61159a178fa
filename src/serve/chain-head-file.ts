import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';
import { CHAIN_START, type ChainCheck } from './audit-chain';

/**
 * The chains' heads kept in a second file beside the database (`<db>.chain-head`), one line per case in
 * the order of their ids (a review from before cases has one line: its own): removing entries from the
 * end of a chain, or recomputing a chain after an edit, leaves a database whose chains hold on their own,
 * but no longer end at these heads.
 */
export function chainHeadFile(db: string): string {
  return `${db}.chain-head`;
}

export function writeChainHeads(file: string, heads: readonly string[]): void {
  writeFileAtomic(file, heads.map((head) => `${head}\n`).join(''));
}

/** The heads the file names, one per case; undefined when there is no such file. */
export function readChainHeads(file: string): string[] | undefined {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  } catch {
    return undefined;
  }
}

/**
 * What is wrong between the head file's line for a case (at `index`) and its chain, which holds on its
 * own; undefined when they agree. A case with no line yet (added just before a kill) starts empty.
 */
export function headFileProblem(file: string, saved: readonly string[] | undefined, index: number, chain: ChainCheck): string | undefined {
  if (saved === undefined) return chain.head === CHAIN_START ? undefined : `${file} is missing, so the end of the audit chain cannot be checked`;
  const head = saved[index] ?? CHAIN_START;
  // A head the chain passed through: a kill after a change was committed and before this file was rewritten.
  if (head === CHAIN_START || chain.hashes.includes(head)) return undefined;
  return `the audit chain does not end at the head recorded in ${file}: entries were removed or rewritten outside wbc`;
}
