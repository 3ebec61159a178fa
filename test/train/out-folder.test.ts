import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { modelFingerprint } from '../../src/model/model-folder';
import { CheckpointFolder } from '../../src/train/checkpoint';
import { planOutFolder } from '../../src/train/out-folder';
import { makeTempDir, touch } from '../helpers/images';

/** A model folder holding a model.json and, optionally, an interrupted run's checkpoint. */
function folderWith(contents: { model?: string; checkpoint?: 'empty' | 'damaged' | { replaces: 'this model' | 'another model' } }): string {
  const out = path.join(makeTempDir(), 'model');
  fs.mkdirSync(out);
  if (contents.model) touch(path.join(out, 'model.json'), contents.model);
  const checkpoint = contents.checkpoint;
  if (checkpoint) fs.mkdirSync(path.join(out, 'checkpoint'));
  if (checkpoint === 'damaged') touch(path.join(out, 'checkpoint', 'progress.json'), '{"form');
  if (typeof checkpoint === 'object') {
    const replacesModel = checkpoint.replaces === 'this model' ? modelFingerprint(out) : 'f'.repeat(64);
    const progress = { format: 'wbc-classifier-checkpoint', version: 1, epoch: 3, finished: false, run: { options: { epochs: 8 } }, replacesModel };
    touch(path.join(out, 'checkpoint', 'progress.json'), JSON.stringify(progress));
  }
  return out;
}

function plan(out: string, flags: { force?: boolean; resume?: boolean } = {}) {
  return planOutFolder(out, new CheckpointFolder(out), { force: flags.force ?? false, resume: flags.resume ?? false });
}

describe('planOutFolder', () => {
  it('starts afresh in a missing or empty folder, with or without --resume', () => {
    const missing = path.join(makeTempDir(), 'nowhere');
    assert.deepEqual(plan(missing), { replacesModel: null, note: undefined });
    assert.match(plan(missing, { resume: true }).note ?? '', /does not exist yet; training from the first epoch/);
    assert.equal(plan(folderWith({})).resumeFrom, undefined);
  });

  it('replaces a finished model only with --force, and remembers which model it replaces', () => {
    const out = folderWith({ model: '{"a": 1}' });
    assert.throws(() => plan(out), /already exists and is not empty; use --force to replace it/);
    assert.throws(() => plan(out, { resume: true }), /already holds a finished model, so there is nothing to resume/);
    assert.equal(plan(out, { force: true }).replacesModel, modelFingerprint(out));
  });

  it('continues an interrupted run only with --resume, also one that was replacing a model', () => {
    for (const out of [folderWith({ checkpoint: { replaces: 'another model' } }), folderWith({ model: '{"old": 1}', checkpoint: { replaces: 'this model' } })]) {
      assert.throws(() => plan(out), /holds an interrupted training run \(3 of 8 epochs done\); continue it with --resume, or start again with --force/);
      assert.equal(plan(out, { resume: true }).resumeFrom?.epoch, 3);
      assert.equal(plan(out, { force: true }).resumeFrom, undefined);
    }
  });

  it('treats a checkpoint beside the model that its run wrote as finished', () => {
    // Killed after model.json was written but before the checkpoint was removed.
    const out = folderWith({ model: '{"new": 1}', checkpoint: { replaces: 'another model' } });
    assert.throws(() => plan(out, { resume: true }), /already holds a finished model/);
    assert.throws(() => plan(out), /already exists and is not empty/);
  });

  it('restarts a run that had not finished an epoch, and lets --force past a damaged checkpoint', () => {
    const early = folderWith({ checkpoint: 'empty' });
    assert.throws(() => plan(early), /holds an interrupted training run \(no epoch finished\)/);
    assert.match(plan(early, { resume: true }).note ?? '', /no epoch of the interrupted run .* had finished; training from the first epoch/);
    const damaged = folderWith({ checkpoint: 'damaged' });
    assert.throws(() => plan(damaged, { resume: true }), /progress\.json is not valid JSON; the checkpoint is damaged \(use --force to start again\)/);
    assert.equal(plan(damaged, { force: true }).resumeFrom, undefined);
  });

  it('refuses --resume together with --force, and a folder of other things to resume', () => {
    assert.throws(() => plan(folderWith({}), { force: true, resume: true }), /give only one/);
    const other = folderWith({});
    touch(path.join(other, 'notes.txt'), 'mine');
    assert.throws(() => plan(other, { resume: true }), /holds no interrupted training run to resume/);
  });
});
