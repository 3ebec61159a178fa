import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CHAIN_START, changeHash, signOffHash, type ChainedChange } from '../../src/serve/audit-chain';
import { ReviewStore, SCHEMA_VERSION } from '../../src/serve/store';
import { WbcError } from '../../src/util/errors';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
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
  assert.equal(SCHEMA_VERSION, 4);
  assert.equal(userVersion(file), SCHEMA_VERSION);
});

/** Version 1's tables, as wbc made them before the audit was chained (a fixture of the old format). */
const VERSION_1_TABLES = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cells (id INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, prediction TEXT NOT NULL, confidence REAL NOT NULL,
  second TEXT NOT NULL, second_confidence REAL NOT NULL, needs_review INTEGER NOT NULL, out_of_scope INTEGER,
  out_of_scope_score REAL, probabilities TEXT NOT NULL, label TEXT, reviewed_by TEXT, reviewed_at TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, cell_id INTEGER NOT NULL REFERENCES cells(id),
  old_label TEXT, new_label TEXT);
CREATE TABLE sign_off (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, at TEXT NOT NULL);`;

/** Version 2's changes: content hashes, cells gone missing, the audit chained by hash and sealed by the sign-off. */
const VERSION_2_CHANGES = `ALTER TABLE cells ADD COLUMN sha256 TEXT;
  ALTER TABLE cells ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'label';
  ALTER TABLE audit ADD COLUMN reason TEXT;
  ALTER TABLE audit ADD COLUMN hash TEXT;
  ALTER TABLE sign_off ADD COLUMN chain_head TEXT;
  ALTER TABLE sign_off ADD COLUMN hash TEXT;`;

/** Version 3's changes (wbc serve --scheme): each cell's category under the recorded scheme. */
const VERSION_3_CHANGES = `ALTER TABLE cells ADD COLUMN category TEXT NOT NULL DEFAULT '';
  ALTER TABLE cells ADD COLUMN category_confidence REAL NOT NULL DEFAULT 0;`;

const VERSION_3_SCHEME = JSON.stringify({ name: 'warm', categories: [{ name: 'warm', classes: ['red', 'green'] }, { name: 'blue', classes: ['blue'] }] });

/**
 * A signed review as wbc made it at a schema version (0: before schema versions): two cells, one
 * relabelled twice. From version 2 it has its chain, its sign-off sealing it and the head file beside
 * it (returned: the sign-off's hash); from version 3 each cell's category under a recorded scheme.
 */
function makeOldReview(file: string, version: number): string | undefined {
  const db = new Database(file);
  db.exec(VERSION_1_TABLES);
  const insert = db.prepare(`INSERT INTO cells (file, prediction, confidence, second, second_confidence, needs_review, probabilities)
    VALUES (?, ?, 0.9, 'green', 0.05, 0, '[0.05,0.05,0.9]')`);
  insert.run('a.png', 'red');
  insert.run('b.png', 'red');
  db.exec(`UPDATE cells SET label = 'green', reviewed_by = 'Ann', reviewed_at = '2026-01-01T10:01:00.000Z' WHERE id = 2;
    INSERT INTO audit (at, who, cell_id, old_label, new_label) VALUES ('2026-01-01T10:00:00.000Z', 'Ann', 2, NULL, 'smudge');
    INSERT INTO audit (at, who, cell_id, old_label, new_label) VALUES ('2026-01-01T10:01:00.000Z', 'Ann', 2, 'smudge', 'green');
    INSERT INTO sign_off (id, name, at) VALUES (1, 'Ann', '2026-01-01T10:02:00.000Z');`);
  let sealed: string | undefined;
  if (version >= 2) {
    db.exec(VERSION_2_CHANGES);
    db.exec(`UPDATE cells SET sha256 = CASE file WHEN 'a.png' THEN '${'a'.repeat(64)}' ELSE '${'b'.repeat(64)}' END`);
    let head = CHAIN_START;
    for (const change of db.prepare('SELECT id, kind, at, who, cell_id, old_label, new_label, reason FROM audit ORDER BY id').all() as Omit<ChainedChange, 'hash'>[]) {
      head = changeHash(head, change);
      db.prepare('UPDATE audit SET hash = ? WHERE id = ?').run(head, change.id);
    }
    sealed = signOffHash({ name: 'Ann', at: '2026-01-01T10:02:00.000Z', chain_head: head });
    db.prepare('UPDATE sign_off SET chain_head = ?, hash = ?').run(head, sealed);
    fs.writeFileSync(`${file}.chain-head`, `${sealed}\n`);
  }
  if (version >= 3) {
    db.exec(VERSION_3_CHANGES);
    db.exec("UPDATE cells SET category = 'warm', category_confidence = 0.95");
    db.prepare("INSERT INTO meta (key, value) VALUES ('scheme', ?)").run(VERSION_3_SCHEME);
  }
  db.pragma(`user_version = ${version}`);
  db.close();
  return sealed;
}

for (const version of [0, 1, 2, 3]) {
  test(`a version-${version} review is migrated to version ${SCHEMA_VERSION} as case 1, with its review, its audit chain, its sign-off sealing the chain and each cell's group`, () => {
    const file = path.join(makeTempDir(), 'review.sqlite');
    const sealed = makeOldReview(file, version);

    const reopened = new ReviewStore(file);
    try {
      assert.equal(userVersion(file), SCHEMA_VERSION);
      assert.equal(reopened.caseId, 1, 'the review found becomes case 1');
      assert.deepEqual(reopened.cells().map((cell) => [cell.file, cell.label, cell.comment]), [['a.png', null, null], ['b.png', 'green', null]]);
      // Reviews before schemes were classified class by class; a version-3 review keeps its categories and its scheme.
      assert.deepEqual(reopened.cells().map((cell) => [cell.group, cell.group_confidence]), version >= 3
        ? [['warm', 0.95], ['warm', 0.95]]
        : reopened.cells().map((cell) => [cell.prediction, cell.confidence]));
      assert.equal(reopened.getMeta('scheme'), version >= 3 ? VERSION_3_SCHEME : undefined);
      assert.deepEqual(reopened.audit().map((row) => [row.cell_id, row.who, row.new_label]), [[2, 'Ann', 'smudge'], [2, 'Ann', 'green']]);
      assert.deepEqual(reopened.integrity(), { ok: true });
      assert.equal(reopened.caseComment(), null);
      const signOff = reopened.signOff()!;
      assert.equal(signOff.name, 'Ann');
      assert.match(signOff.chain_head, /^[0-9a-f]{64}$/);
      assert.notEqual(signOff.chain_head, '0'.repeat(64), 'the sign-off seals the two migrated audit entries');
      const headFile = fs.readFileSync(`${file}.chain-head`, 'utf8');
      assert.match(headFile, /^[0-9a-f]{64}\n$/);
      if (sealed) assert.equal(headFile, `${sealed}\n`, 'a chained review keeps its chain: not computed anew');
      assert.deepEqual(reopened.cells().map((cell) => cell.sha256), version >= 2 ? ['a'.repeat(64), 'b'.repeat(64)] : [null, null]);
    } finally {
      reopened.close();
    }
    if (version < 2) {
      // Nothing recorded what a version-1 cell was classified from: sha256 stays unknown until a rescan,
      // which takes the file as found and says so in the audit. (A signed-off review is not rescanned.)
      const unsigned = new Database(file);
      unsigned.exec('DELETE FROM sign_off');
      unsigned.close();
      fs.rmSync(`${file}.chain-head`);
      const rescanned = new ReviewStore(file);
      try {
        assert.deepEqual(rescanned.syncFolder(new Map([['a.png', 'a'.repeat(64)], ['b.png', 'b'.repeat(64)]])), []);
        assert.deepEqual(rescanned.cells().map((cell) => [cell.sha256, cell.missing, cell.label]), [['a'.repeat(64), false, null], ['b'.repeat(64), false, 'green']]);
        assert.deepEqual(rescanned.audit().filter((row) => row.kind === 'hashed').map((row) => row.file), ['a.png', 'b.png']);
      } finally {
        rescanned.close();
      }
    }
    // The chain (computed at migration for a version-1 review, carried over from version 2) shows a later edit.
    const db = new Database(file);
    db.prepare("UPDATE audit SET who = 'Mallory' WHERE id = 1").run();
    db.close();
    const edited = new ReviewStore(file);
    try {
      assert.equal(edited.integrity().ok, false);
      assert.match(edited.integrity().problem!, /^audit entry 1 does not match the chain/);
    } finally {
      edited.close();
    }
  });
}

test('a database of a newer schema version is refused in one line and left as it is', () => {
  const file = path.join(makeTempDir(), 'review.sqlite');
  new ReviewStore(file).close();
  setUserVersion(file, SCHEMA_VERSION + 1);
  assert.throws(() => new ReviewStore(file), (error: Error) => {
    assert.ok(error instanceof WbcError);
    assert.match(error.message, /schema version 5 is newer than this wbc knows \(4\)/);
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
  assertCleanFailure(wbc(['serve', model, images, '--db', db, '--port', '0']), /cannot open the review database .*newer\.sqlite: its schema version 5 is newer than this wbc knows/);
});
