import * as fs from 'node:fs';
import { modelFingerprint } from '../model/model-folder';
import { WbcError } from '../util/errors';
import type { Checkpoint, CheckpointFolder } from './checkpoint';
import { LOCK_FILE } from './train-lock';

/** What a training run is to do with its output folder. */
export interface OutFolderPlan {
  /** Continue from this checkpoint; absent for a run from the first epoch. */
  resumeFrom?: Checkpoint;
  /** Fingerprint of the finished model the run will replace, or null (see Checkpoint.replacesModel). */
  replacesModel: string | null;
  /** Worth telling the user, such as a --resume that found no finished epoch. */
  note?: string;
}

function epochsDone(checkpoint: Checkpoint): string {
  const total = checkpoint.run.options.epochs;
  return checkpoint.finished ? 'all epochs done' : `${checkpoint.epoch} of ${String(total)} epochs done`;
}

/**
 * Decides, without changing anything, whether training may write to `out`: a finished model is only
 * replaced with --force, an interrupted run only continued with --resume or discarded with --force.
 */
export function planOutFolder(out: string, checkpoints: CheckpointFolder, options: { force: boolean; resume: boolean }): OutFolderPlan {
  const { force, resume } = options;
  if (force && resume) throw new WbcError('--resume continues an interrupted run and --force discards it: give only one');
  if (!fs.existsSync(out)) return { replacesModel: null, note: resume ? `${out} does not exist yet; training from the first epoch` : undefined };
  if (!fs.statSync(out).isDirectory()) throw new WbcError(`${out} exists and is not a folder`);
  // The training lock is the running trainer's own; it says nothing about what the folder holds.
  const entries = fs.readdirSync(out).filter((name) => name !== LOCK_FILE);
  if (entries.length === 0 && !force) {
    return { replacesModel: null, note: resume ? `${out} holds no interrupted run; training from the first epoch` : undefined };
  }

  const model = modelFingerprint(out);
  // --force replaces whatever is there, even a damaged checkpoint, so nothing needs reading.
  if (force) return { replacesModel: model };
  const checkpoint = checkpoints.exists() ? checkpoints.read() : undefined;
  // A model.json other than the one the run set out to replace was written by that run: it finished.
  const unfinished = checkpoints.exists() && (checkpoint === undefined || model === null || model === checkpoint.replacesModel);
  const hasOtherEntries = entries.length > (checkpoints.exists() ? 1 : 0);

  if (resume) {
    if (unfinished && checkpoint) return { resumeFrom: checkpoint, replacesModel: checkpoint.replacesModel };
    if (unfinished) return { replacesModel: model, note: `no epoch of the interrupted run in ${out} had finished; training from the first epoch` };
    if (model !== null) throw new WbcError(`${out} already holds a finished model, so there is nothing to resume (use --force to train a new one)`);
    if (hasOtherEntries) throw new WbcError(`${out} holds no interrupted training run to resume (it is not empty; use --force to replace it)`);
    return { replacesModel: null, note: `${out} holds no interrupted run; training from the first epoch` };
  }
  if (unfinished) {
    const progress = checkpoint ? epochsDone(checkpoint) : 'no epoch finished';
    throw new WbcError(`${out} holds an interrupted training run (${progress}); continue it with --resume, or start again with --force`);
  }
  if (hasOtherEntries || checkpoints.exists()) throw new WbcError(`${out} already exists and is not empty; use --force to replace it`);
  return { replacesModel: model };
}
