import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ReviewStore, SCHEMA_VERSION } from '../../src/serve/store';
import { WbcError } from '../../src/util/errors';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
import { prediction } from './fixture';
import { makeServedFolder } from './served-folder';

function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

function setUserVersion(file: string, version: number): void {
  const db = new Database(file);
  db.pragma(`user_version = ${version}`);
  db.close();
}

test('a new review database gets the schema version', () => {
  const file = path.join(makeTempDir(), 'review.sqlite');
  new ReviewStore(file).close();
  assert.equal(SCHEMA_VERSION, 1);
  assert.equal(userVersion(file), SCHEMA_VERSION);
});

test('a database from before schema versions (today\'s tables, no version) is migrated to version 1 with its review', () => {
  const file = path.join(makeTempDir(), 'review.sqlite');
  const store = new ReviewStore(file);
  store.addPredictions([prediction('a.png', 'red', 0.9), prediction('b.png', 'green', 0.5)]);
  store.setLabels([2], 'smudge', 'Ann');
  store.close();
  setUserVersion(file, 0);

  const reopened = new ReviewStore(file);
  try {
    assert.equal(userVersion(file), 1);
    assert.deepEqual(reopened.cells().map((cell) => [cell.file, cell.label]), [['a.png', null], ['b.png', 'smudge']]);
    assert.deepEqual(reopened.audit().map((row) => [row.cell_id, row.who, row.new_label]), [[2, 'Ann', 'smudge']]);
  } finally {
    reopened.close();
  }
});

test('a database of a newer schema version is refused in one line and left as it is', () => {
  const file = path.join(makeTempDir(), 'review.sqlite');
  new ReviewStore(file).close();
  setUserVersion(file, SCHEMA_VERSION + 1);
  assert.throws(() => new ReviewStore(file), (error: Error) => {
    assert.ok(error instanceof WbcError);
    assert.match(error.message, /schema version 2 is newer than this wbc knows \(1\)/);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
  assert.equal(userVersion(file), SCHEMA_VERSION + 1);
});

test('wbc serve refuses a review database of a newer schema version at start, in one line', async () => {
  const { model, images, dir } = await makeServedFolder(1);
  const db = path.join(dir, 'newer.sqlite');
  new ReviewStore(db).close();
  setUserVersion(db, SCHEMA_VERSION + 1);
  assertCleanFailure(wbc(['serve', model, images, '--db', db, '--port', '0']), /cannot open the review database .*newer\.sqlite: its schema version 2 is newer than this wbc knows/);
});
