import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord } from '../model/model-folder';
import { nativeMessage, type NativeEngine } from '../native/binding';
import { replaceFileAtomic, writeFileAtomic } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import type { EpochSelectorState } from './epoch-selector';

const FORMAT = 'wbc-classifier-checkpoint';
const FOLDER = 'checkpoint';
const PROGRESS_FILE = 'progress.json';
/** A checkpoint folder being deleted is first renamed to this (hidden) prefix. */
const REMOVING_PREFIX = `.${FOLDER}.removing-`;

/** What a resumed run must share with the interrupted one for its result to be the same. */
export interface RunIdentity {
  /** The training options that shape the result, by their TrainOptions names. */
  options: Record<string, unknown>;
  /** The images of each split, relative to the data folder. */
  split: { train: string[]; validation: string[]; test: string[] };
  /** The training images' channel statistics: they change when the images' content does. */
  mean: number[];
  std: number[];
}

/** Where the epoch loop stood after an epoch. */
export interface TrainingProgress {
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken, including the skipped ragged ones. */
  step: number;
  /** The epoch loop is over: all epochs run, or stopped early. */
  finished: boolean;
  history: EpochRecord[];
  selector: EpochSelectorState;
  /** The augmentation and shuffling generator (Rng) state. */
  rng: number;
  /** Training time spent so far, over all attempts. */
  seconds: number;
}

export interface Checkpoint extends TrainingProgress {
  format: typeof FORMAT;
  version: 1;
  run: RunIdentity;
  /**
   * SHA-256 of the model.json that was in the folder when the run began (null if none): a model.json
   * with another hash was written by this run, which therefore finished.
   */
  replacesModel: string | null;
  /** Files in the checkpoint folder: weights, optimiser and generator state after the last epoch, and the kept epoch's weights. */
  stateFile: string;
  keptFile: string;
}

/**
 * Training progress in <out>/checkpoint/, saved after every epoch so that `wbc train --resume` can go on
 * after a kill at any moment. Each epoch's files get new names and progress.json, written last and
 * atomically, names the ones that belong together; anything it does not name is a leftover.
 */
export class CheckpointFolder {
  readonly dir: string;

  constructor(private readonly outDir: string) {
    this.dir = path.join(outDir, FOLDER);
  }

  exists(): boolean {
    return fs.existsSync(this.dir);
  }

  /** The last complete checkpoint; undefined when no epoch was saved. */
  read(): Checkpoint | undefined {
    const file = path.join(this.dir, PROGRESS_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new WbcError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(text) as Checkpoint;
    } catch {
      throw new WbcError(`${file} is not valid JSON; the checkpoint is damaged (use --force to start again)`);
    }
    if (checkpoint?.format !== FORMAT || checkpoint.version !== 1) throw new WbcError(`${file} is not a wbc-classifier checkpoint`);
    return checkpoint;
  }

  /** Creates the folder, so that a run killed before its first checkpoint still shows as unfinished. */
  begin(): void {
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Saves one epoch: the kept weights if this epoch is kept, the training state, then the progress
   * record naming both. `previous` is the checkpoint this one supersedes.
   */
  save(engine: NativeEngine, progress: TrainingProgress, fixed: Pick<Checkpoint, 'run' | 'replacesModel'>, kept: boolean, previous: Checkpoint | undefined): Checkpoint {
    const keptFile = kept || !previous ? `kept-weights-${progress.epoch}.pt` : previous.keptFile;
    const stateFile = `training-state-${progress.epoch}.pt`;
    if (keptFile !== previous?.keptFile) this.writeEngine(engine, keptFile, false);
    this.writeEngine(engine, stateFile, true);
    const checkpoint: Checkpoint = { format: FORMAT, version: 1, ...fixed, ...progress, stateFile, keptFile };
    writeFileAtomic(path.join(this.dir, PROGRESS_FILE), `${JSON.stringify(checkpoint)}\n`);
    this.removeAllBut(checkpoint);
    return checkpoint;
  }

  /** Restores the weights, optimiser and random generator as they were after the checkpoint's epoch. */
  loadState(engine: NativeEngine, checkpoint: Checkpoint): void {
    this.loadEngine(engine, checkpoint.stateFile, true);
  }

  loadKept(engine: NativeEngine, checkpoint: Checkpoint): void {
    this.loadEngine(engine, checkpoint.keptFile, false);
  }

  /** Deletes what a killed run left that no complete checkpoint names: half-written and superseded files. */
  removeAllBut(checkpoint: Checkpoint | undefined): void {
    const keep = new Set(checkpoint ? [PROGRESS_FILE, checkpoint.stateFile, checkpoint.keptFile] : []);
    for (const name of fs.readdirSync(this.dir)) {
      if (!keep.has(name)) fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
    }
  }

  /** Removes the folder as one step (a rename), so that a kill while deleting cannot leave half a checkpoint. */
  remove(): void {
    if (this.exists()) fs.renameSync(this.dir, path.join(this.outDir, `${REMOVING_PREFIX}${process.pid}`));
    for (const name of fs.readdirSync(this.outDir)) {
      if (name.startsWith(REMOVING_PREFIX)) fs.rmSync(path.join(this.outDir, name), { recursive: true, force: true });
    }
  }

  private writeEngine(engine: NativeEngine, name: string, withOptimizer: boolean): void {
    const file = path.join(this.dir, name);
    try {
      replaceFileAtomic(file, (temporary) => engine.save(temporary, withOptimizer));
    } catch (error) {
      throw new WbcError(`cannot write the checkpoint ${file}: ${nativeMessage(error)}`);
    }
  }

  private loadEngine(engine: NativeEngine, name: string, withOptimizer: boolean): void {
    const file = path.join(this.dir, name);
    try {
      engine.load(file, withOptimizer);
    } catch (error) {
      throw new WbcError(`cannot load the checkpoint ${file}: ${nativeMessage(error)} (use --force to start again)`);
    }
  }
}

function shown(value: unknown): string {
  return value === undefined || value === null ? 'unset' : JSON.stringify(value);
}

/** Why a run cannot resume a checkpoint made with `saved`, or undefined when it can. */
export function describeMismatch(saved: RunIdentity, current: RunIdentity, dataDir: string): string | undefined {
  const names = new Set([...Object.keys(saved.options), ...Object.keys(current.options)]);
  const differing = [...names].filter((name) => JSON.stringify(saved.options[name]) !== JSON.stringify(current.options[name]));
  if (differing.length) {
    const detail = differing.map((name) => `${name} ${shown(saved.options[name])} then, ${shown(current.options[name])} now`).join('; ');
    return `the options differ from the interrupted run's (${detail}); give the same options to resume, or use --force to start again`;
  }
  for (const split of ['train', 'validation', 'test'] as const) {
    const [then, now] = [saved.split[split], current.split[split]];
    if (JSON.stringify(then) !== JSON.stringify(now)) {
      const counts = then.length === now.length ? `${now.length} images, but not the same ones` : `${then.length} images then, ${now.length} now`;
      return `the images in ${dataDir} are not those of the interrupted run (${split} split: ${counts}); resume with the same data, or use --force to start again`;
    }
  }
  if (JSON.stringify([saved.mean, saved.std]) !== JSON.stringify([current.mean, current.std])) {
    return `the images in ${dataDir} have changed since the interrupted run began; resume with the same data, or use --force to start again`;
  }
  return undefined;
}
