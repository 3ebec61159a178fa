import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { changeHash } from '../../src/serve/audit-chain';
import { ReviewStore } from '../../src/serve/store';
import { WbcError } from '../../src/util/errors';
import { assertCleanFailure, wbc, wbcWithoutPermissionOverride } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
import { apiFixture, prediction } from './fixture';
import { makeServedFolder } from './served-folder';

const LOCAL = { host: '127.0.0.1:8080' };

/** A review with three label changes and a sign-off, closed: the database and its head file as wbc left them. */
function signedReview(): string {
  const file = path.join(makeTempDir(), 'review.sqlite');
  const store = new ReviewStore(file);
  store.addPredictions([prediction('a.png', 'red', 0.9), prediction('b.png', 'green', 0.5)]);
  store.setLabels([2], 'smudge', 'Ann');
  store.setLabels([1, 2], 'red', 'Ann');
  store.signOffAs('Ann');
  store.close();
  return file;
}

/** Runs SQL on the database with the sqlite3 library, as someone with the file would. */
function tamper(file: string, sql: string): void {
  const db = new Database(file);
  db.exec(sql);
  db.close();
}

function integrityOf(file: string) {
  const store = new ReviewStore(file);
  try {
    return store.integrity();
  } finally {
    store.close();
  }
}

test('an untouched review holds its check, and its sign-off seals the audit chain\'s head', () => {
  const file = signedReview();
  assert.deepEqual(integrityOf(file), { ok: true });
  const store = new ReviewStore(file);
  const signOff = store.signOff()!;
  store.close();
  const db = new Database(file, { readonly: true });
  const last = db.prepare('SELECT hash FROM audit ORDER BY id DESC LIMIT 1').get() as { hash: string };
  db.close();
  assert.equal(signOff.chain_head, last.hash);
});

test('an edit of the signer\'s name with the sqlite3 library is detected', () => {
  const file = signedReview();
  tamper(file, "UPDATE sign_off SET name = 'Mallory'");
  const integrity = integrityOf(file);
  assert.equal(integrity.ok, false);
  assert.match(integrity.problem!, /^the sign-off does not match the chain/);
});

test('an edit of an audit entry is detected, naming the first bad entry', () => {
  const file = signedReview();
  tamper(file, "UPDATE audit SET new_label = 'blue' WHERE id = 2");
  assert.match(integrityOf(file).problem!, /^audit entry 2 does not match the chain/);
});

test('removing an entry from the middle names the entry after it', () => {
  const file = signedReview();
  tamper(file, 'DELETE FROM audit WHERE id = 1');
  assert.match(integrityOf(file).problem!, /^audit entry 2 does not match the chain/);
});

test('truncating the chain (DELETE FROM sign_off, or the last audit entries) is detected through the head file', () => {
  for (const sql of ['DELETE FROM sign_off', 'DELETE FROM sign_off; DELETE FROM audit WHERE id = 3']) {
    const file = signedReview();
    tamper(file, sql);
    const integrity = integrityOf(file);
    assert.equal(integrity.ok, false, sql);
    assert.match(integrity.problem!, /does not end at the head recorded in .*review\.sqlite\.chain-head/, sql);
    // A failed check leaves the head file as evidence: reopening, or a later change, does not make the record look whole.
    const store = new ReviewStore(file);
    store.setLabels([1], 'green', 'Ann');
    store.close();
    assert.equal(integrityOf(file).ok, false, sql);
  }
});

test('an edit whose chain is recomputed in the database alone is detected through the head file', () => {
  const file = signedReview();
  const db = new Database(file);
  db.prepare("UPDATE audit SET who = 'Mallory' WHERE id = 1").run();
  let head = '0'.repeat(64);
  for (const row of db.prepare('SELECT * FROM audit ORDER BY id').all() as Parameters<typeof changeHash>[1][]) {
    head = changeHash(head, row);
    db.prepare('UPDATE audit SET hash = ? WHERE id = ?').run(head, row.id);
  }
  db.prepare('DELETE FROM sign_off').run();
  db.close();
  assert.match(integrityOf(file).problem!, /does not end at the head recorded in/);
});

test('a missing head file is reported; a head file one change behind (a kill before it was rewritten) is not', () => {
  const file = signedReview();
  const headFile = `${file}.chain-head`;
  const db = new Database(file, { readonly: true });
  const earlier = (db.prepare('SELECT hash FROM audit WHERE id = 1').get() as { hash: string }).hash;
  db.close();
  fs.writeFileSync(headFile, `${earlier}\n`);
  assert.deepEqual(integrityOf(file), { ok: true });
  fs.rmSync(headFile);
  assert.match(integrityOf(file).problem!, /review\.sqlite\.chain-head is missing/);
});

test('GET /api/info serves the failed check with the first bad entry, and a good record as ok', async () => {
  const good = await apiFixture();
  const info = await good.app.inject({ method: 'GET', url: '/api/info', headers: LOCAL });
  assert.deepEqual(info.json().integrity, { ok: true });
  good.store.setLabels([1], 'red', 'Ann');
  await good.app.close();
  good.store.close();
  tamper(good.db, "UPDATE audit SET who = 'Mallory'");
  const bad = await apiFixture({ store: new ReviewStore(good.db) });
  try {
    const answer = await bad.app.inject({ method: 'GET', url: '/api/info', headers: LOCAL });
    assert.equal(answer.json().integrity.ok, false);
    assert.match(answer.json().integrity.problem, /^audit entry 1 does not match the chain/);
  } finally {
    await bad.app.close();
  }
});

test('a row that does not match its schema is refused at start in one line naming the row', () => {
  const file = signedReview();
  tamper(file, "UPDATE cells SET probabilities = 'not json' WHERE id = 2");
  assert.throws(() => new ReviewStore(file), (error: Error) => {
    assert.ok(error instanceof WbcError);
    assert.match(error.message, /a row does not match its schema: cell 2 \(b\.png\): its probabilities are not JSON/);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
  tamper(file, "UPDATE cells SET probabilities = '[0.5, 2]' WHERE id = 2");
  assert.throws(() => new ReviewStore(file), /cell 2 \(b\.png\): \/probabilities\/1 /);
});

test('a damaged database file is refused at start in one line', () => {
  const file = signedReview();
  const bytes = fs.readFileSync(file);
  bytes.fill(0x55, 1024, bytes.length); // every page after the first: tables SQLite can no longer read
  fs.writeFileSync(file, bytes);
  fs.rmSync(`${file}-wal`, { force: true });
  assert.throws(() => new ReviewStore(file), (error: Error) => {
    assert.ok(error instanceof WbcError);
    assert.match(error.message, /^cannot open the review database .*review\.sqlite: /);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
});

test('wbc serve refuses a database file it cannot write at start, in one line (as root too: without the override of file modes)', async () => {
  const { model, images, dir } = await makeServedFolder(1);
  const db = path.join(dir, 'review.sqlite');
  new ReviewStore(db).close();
  fs.chmodSync(db, 0o444);
  assertCleanFailure(wbcWithoutPermissionOverride(['serve', model, images, '--db', db, '--port', '0']),
    /cannot open the review database .*review\.sqlite: attempt to write a readonly database/);
});

test('a review is tied to the model\'s content: another model at the same path is refused in one line', async () => {
  const { model, images, dir } = await makeServedFolder(1);
  const db = path.join(dir, 'review.sqlite');
  const store = new ReviewStore(db);
  store.setMeta('image_dir', fs.realpathSync(images));
  store.setMeta('model_dir', fs.realpathSync(model));
  store.setMeta('model_sha256', 'f'.repeat(64));
  store.close();
  assertCleanFailure(wbc(['serve', model, images, '--db', db, '--port', '0']),
    /the review .*review\.sqlite belongs to another model \(model\.json sha256 ffffffffffff…, this one [0-9a-f]{12}…, last opened from .*\); use --db for a new review/);
});
