import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WbcError } from '../util/errors';
import { isProcessRunning } from '../util/interrupt';

/** Hidden, so that it never counts as content of the model folder. */
export const LOCK_FILE = '.wbc-train.lock';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}


function readOwner(file: string): { text: string; owner: LockOwner | undefined } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WbcError(`cannot read the lock file ${file} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return { text, owner: Number.isInteger(owner?.pid) && typeof owner.host === 'string' ? owner : undefined };
  } catch {
    return { text, owner: undefined };
  }
}

export interface TrainingLock {
  /** Said to the user, when a stale lock of a run that is gone was taken over. */
  note?: string;
  release(): void;
}

/**
 * One training run per model folder: a lock file in it names the owner's process and host. A second run
 * is refused at once; a lock whose process is gone from this host is taken over. The folder must exist.
 */
export function acquireTrainingLock(dir: string): TrainingLock {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  let note: string | undefined;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      const release = () => {
        if (readOwner(file)?.owner?.pid === process.pid) fs.rmSync(file, { force: true });
      };
      return { note, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WbcError(`cannot create the lock file ${file} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
      }
    }
    const found = readOwner(file);
    if (!found) continue; // released between our attempt and the read
    const { owner } = found;
    if (owner && owner.host !== mine.host) {
      throw new WbcError(`${dir} is being trained by process ${owner.pid} on ${owner.host} (since ${owner.startedAt}); if that run is gone, delete ${file}`);
    }
    if (owner && isProcessRunning(owner.pid)) {
      throw new WbcError(`another wbc train (process ${owner.pid}, since ${owner.startedAt}) is writing ${dir}; wait for it to end or stop it`);
    }
    // Stale: remove it only if it is still the lock just read, so that a fresh one of a racing run survives.
    if (readOwner(file)?.text === found.text) fs.rmSync(file, { force: true });
    note = `took over the lock of an earlier wbc train in ${dir} that is no longer running${owner ? ` (process ${owner.pid})` : ''}`;
  }
  throw new WbcError(`cannot take the lock file ${file}: other runs keep taking it`);
}
