import * as fs from 'node:fs';
import { WbcError } from '../util/errors';
import { readRegularFile } from '../util/safe-read';

/** Where a server's token may come from, most private first. */
export interface TokenSources {
  /** A file holding the token (surrounding white space ignored). */
  file?: string;
  /** The WBC_TOKEN environment variable. */
  environment?: string;
  /** `--token` on the command line: every user of the host can read it in `ps`. */
  option?: string;
}

export interface ChosenToken {
  token?: string;
  warnings: string[];
}

const MAX_TOKEN_FILE_BYTES = 4096;

/** The token of at most one source; two sources are refused, since which one wins would be a guess. */
export function chooseToken(sources: TokenSources): ChosenToken {
  const given = (['file', 'environment', 'option'] as const).filter((source) => sources[source] !== undefined);
  if (given.length > 1) throw new WbcError('give the token one way only: --token-file, WBC_TOKEN or --token');
  const warnings: string[] = [];
  if (sources.file !== undefined) {
    const token = readRegularFile(sources.file, MAX_TOKEN_FILE_BYTES).toString('utf8').trim();
    if (!token) throw new WbcError(`the token file ${sources.file} is empty`);
    if ((fs.statSync(sources.file).mode & 0o077) !== 0) warnings.push(`other users can read the token file ${sources.file} (chmod 600 it)`);
    return { token, warnings };
  }
  if (sources.option !== undefined) {
    warnings.push('--token on the command line can be read by every user of this host (ps); use WBC_TOKEN or --token-file');
    return { token: sources.option, warnings };
  }
  return { token: sources.environment || undefined, warnings };
}
