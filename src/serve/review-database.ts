import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { WbcError } from '../util/errors';
import { AuditRow, Cell, type Integrity } from './api-schemas';
import { CHAIN_START, changeHash, checkChain, signOffHash, type ChainedChange, type ChainedSignOff } from './audit-chain';
import { chainHeadFile, headFileProblem, readChainHeads, writeChainHeads } from './chain-head-file';
import { toCell, type CellRow } from './cell-row';

/**
 * The schema's migrations: the one at index v takes a database from version v to v + 1 (PRAGMA
 * user_version). Version 1 is the first versioned schema; databases made before versions have exactly
 * its tables, which IF NOT EXISTS leaves as they are. Version 2 chains the audit by hash, records rescan
 * events in it, and gives each cell the SHA-256 of the image it was classified from. Version 3 gives each
 * cell its reporting scheme's category and its confidence (meta `scheme` names the scheme, one for the
 * whole database). Version 4 holds several cases (a review each, its own audit chain and sign-off) and
 * comments on cells and cases. (Schemes shipped first: a version-3 database is one with categories.)
 */
const MIGRATIONS: readonly ((db: Database.Database) => void)[] = [(db) => db.exec(`
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cells (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL UNIQUE,
  prediction TEXT NOT NULL,
  confidence REAL NOT NULL,
  second TEXT NOT NULL,
  second_confidence REAL NOT NULL,
  needs_review INTEGER NOT NULL,
  out_of_scope INTEGER,
  out_of_scope_score REAL,
  probabilities TEXT NOT NULL,
  label TEXT,
  reviewed_by TEXT,
  reviewed_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  who TEXT NOT NULL,
  cell_id INTEGER NOT NULL REFERENCES cells(id),
  old_label TEXT,
  new_label TEXT
);
CREATE TABLE IF NOT EXISTS sign_off (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, at TEXT NOT NULL);
`), (db) => {
  // sha256 stays null for version-1 cells: nothing recorded what was classified. The first rescan takes
  // the file as found then, and says so in the audit (kind 'hashed').
  db.exec(`ALTER TABLE cells ADD COLUMN sha256 TEXT;
    ALTER TABLE cells ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'label';
    ALTER TABLE audit ADD COLUMN reason TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    ALTER TABLE sign_off ADD COLUMN chain_head TEXT;
    ALTER TABLE sign_off ADD COLUMN hash TEXT;`);
  // The chain of a version-1 review is computed now, from the rows as they are found: it shows later
  // changes, not whether the rows were changed before this migration.
  let head = CHAIN_START;
  const setHash = db.prepare('UPDATE audit SET hash = ? WHERE id = ?');
  for (const change of db.prepare('SELECT * FROM audit ORDER BY id').all() as ChainedChange[]) {
    head = changeHash(head, change);
    setHash.run(head, change.id);
  }
  const signOff = db.prepare('SELECT name, at FROM sign_off WHERE id = 1').get() as { name: string; at: string } | undefined;
  if (signOff) {
    db.prepare('UPDATE sign_off SET chain_head = ?, hash = ? WHERE id = 1').run(head, signOffHash({ ...signOff, chain_head: head }));
  }
}, (db) => {
  // Reviews before schemes were classified class by class (nine): a cell's category is its prediction.
  db.exec(`ALTER TABLE cells ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE cells ADD COLUMN category_confidence REAL NOT NULL DEFAULT 0;
    UPDATE cells SET category = prediction, category_confidence = confidence;`);
}, (db) => {
  // Tables whose keys change are rebuilt (ids, rows and hashes kept): a file is unique within its case,
  // a case comment's audit entry has no cell, and each case has its own sign-off. The review found
  // becomes case 1: the opened folder itself (folder ''), named after it.
  db.exec(`CREATE TABLE cases (id INTEGER PRIMARY KEY, name TEXT NOT NULL, folder TEXT NOT NULL UNIQUE,
  comment TEXT, comment_by TEXT, comment_at TEXT);`);
  const folder = db.prepare("SELECT value FROM meta WHERE key = 'image_dir'").get() as { value: string } | undefined;
  const used = db.prepare('SELECT 1 FROM cells UNION ALL SELECT 1 FROM sign_off LIMIT 1').get() !== undefined;
  if (folder || used) db.prepare("INSERT INTO cases (id, name, folder) VALUES (1, ?, '')").run(folder ? path.basename(folder.value) : 'review');
  db.exec(`
CREATE TABLE cells_v4 (
  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id), file TEXT NOT NULL, prediction TEXT NOT NULL,
  confidence REAL NOT NULL, second TEXT NOT NULL, second_confidence REAL NOT NULL, needs_review INTEGER NOT NULL,
  out_of_scope INTEGER, out_of_scope_score REAL, probabilities TEXT NOT NULL, label TEXT, reviewed_by TEXT, reviewed_at TEXT,
  sha256 TEXT, missing INTEGER NOT NULL DEFAULT 0, category TEXT NOT NULL DEFAULT '', category_confidence REAL NOT NULL DEFAULT 0,
  comment TEXT, comment_by TEXT, comment_at TEXT, UNIQUE (case_id, file));
INSERT INTO cells_v4 (id, case_id, file, prediction, confidence, second, second_confidence, needs_review, out_of_scope,
  out_of_scope_score, probabilities, label, reviewed_by, reviewed_at, sha256, missing, category, category_confidence)
  SELECT id, 1, file, prediction, confidence, second, second_confidence, needs_review, out_of_scope,
  out_of_scope_score, probabilities, label, reviewed_by, reviewed_at, sha256, missing, category, category_confidence FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v4 RENAME TO cells;
CREATE TABLE audit_v4 (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id), kind TEXT NOT NULL DEFAULT 'label',
  at TEXT NOT NULL, who TEXT NOT NULL, cell_id INTEGER REFERENCES cells(id), old_label TEXT, new_label TEXT, reason TEXT, hash TEXT);
INSERT INTO audit_v4 (id, case_id, kind, at, who, cell_id, old_label, new_label, reason, hash)
  SELECT id, 1, kind, at, who, cell_id, old_label, new_label, reason, hash FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v4 RENAME TO audit;
CREATE INDEX audit_by_case ON audit (case_id, id);
CREATE TABLE sign_off_v4 (case_id INTEGER PRIMARY KEY REFERENCES cases(id), name TEXT NOT NULL, at TEXT NOT NULL, chain_head TEXT, hash TEXT);
INSERT INTO sign_off_v4 (case_id, name, at, chain_head, hash) SELECT 1, name, at, chain_head, hash FROM sign_off;
DROP TABLE sign_off;
ALTER TABLE sign_off_v4 RENAME TO sign_off;`);
}];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The first version whose audit is chained, with its head kept beside the database. */
const CHAINED_VERSION = 2;

/**
 * Brings a database to SCHEMA_VERSION in one transaction; refuses one made by a newer wbc, changing
 * nothing. Returns the version it found.
 */
function migrate(db: Database.Database): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`its schema version ${version} is newer than this wbc knows (${SCHEMA_VERSION}); open it with a newer wbc`);
  }
  if (version === SCHEMA_VERSION) return version;
  // Tables are rebuilt with their rows (see version 4): references are checked once all are in place.
  db.pragma('foreign_keys = OFF');
  db.transaction(() => {
    for (const migration of MIGRATIONS.slice(version)) migration(db);
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`${broken.length} rows refer to rows that do not exist`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
  return version;
}

/** The first row of a table that does not match its schema, in one line; undefined when all do. */
function rowProblem(db: Database.Database): string | undefined {
  for (const row of db.prepare('SELECT * FROM cells ORDER BY id').iterate() as Iterable<CellRow>) {
    let cell: unknown;
    try {
      cell = toCell(row);
    } catch {
      return `cell ${row.id} (${row.file}): its probabilities are not JSON`;
    }
    const error = Value.Errors(Cell, cell).First();
    if (error) return `cell ${row.id} (${row.file}): ${error.path || 'the row'} ${error.message}`;
  }
  const auditRow = Type.Omit(AuditRow, ['file']);
  for (const row of db.prepare('SELECT id, kind, at, who, cell_id, old_label, new_label, reason FROM audit ORDER BY id').iterate()) {
    const error = Value.Errors(auditRow, row).First();
    if (error) return `audit entry ${(row as { id: unknown }).id}: ${error.path || 'the row'} ${error.message}`;
  }
  return undefined;
}

/** Opens, checks and migrates the database; refuses, in one line, one that is damaged, malformed or cannot be written. */
function openDatabase(file: string): { db: Database.Database; foundVersion: number } {
  const db = new Database(file);
  try {
    const check = db.pragma('integrity_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(`it is damaged (SQLite's integrity check: ${check})`);
    const foundVersion = migrate(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A write rolled back at once: a file that cannot be written is refused now, not on the first change.
    db.exec("SAVEPOINT probe; INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', ''); ROLLBACK TO probe; RELEASE probe;");
    const problem = rowProblem(db);
    if (problem) throw new Error(`a row does not match its schema: ${problem}`);
    return { db, foundVersion };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A case as stored: its folder is relative to the served folder ('' for the served folder itself). */
export interface CaseRow {
  id: number;
  name: string;
  folder: string;
}

/**
 * The SQLite file that holds every case's review, in WAL mode with full sync: every change is one
 * transaction, on disk before the call returns, so that an acknowledged change survives a kill at any
 * moment. Each case has its own audit chain (every change an entry chained by hash to the one before,
 * sealed by the case's sign-off); the heads of all chains are also kept beside the database, one line
 * per case in id order (see chain-head-file.ts).
 */
export class ReviewDatabase {
  readonly db: Database.Database;
  /** The head file, or null for a database in memory. */
  private readonly headFile: string | null;
  /** Each case's check at open; a case added since holds (its chain starts empty). */
  private readonly checked = new Map<number, Integrity>();

  constructor(file: string) {
    let opened: ReturnType<typeof openDatabase>;
    try {
      opened = openDatabase(file);
    } catch (error) {
      throw new WbcError(`cannot open the review database ${file}: ${(error as Error).message.split('\n')[0]}`);
    }
    this.db = opened.db;
    this.headFile = file === ':memory:' || file === '' ? null : chainHeadFile(file);
    // A database from before the chain has no head file yet: its chain starts now (see the migration).
    this.checkChains(opened.foundVersion >= CHAINED_VERSION);
    // Rewritten only while the record holds, so that a broken one keeps its evidence; this also proves the folder writable.
    try {
      this.recordHeads();
    } catch (error) {
      this.db.close();
      throw new WbcError(`cannot write ${this.headFile}: ${(error as Error).message}`);
    }
  }

  private checkChains(withHeadFile: boolean): void {
    const saved = this.headFile && withHeadFile ? readChainHeads(this.headFile) : null;
    const cases = this.cases();
    for (const [index, { id }] of cases.entries()) {
      const changes = this.db.prepare('SELECT id, kind, at, who, cell_id, old_label, new_label, reason, hash FROM audit WHERE case_id = ? ORDER BY id')
        .all(id) as ChainedChange[];
      const signOff = this.db.prepare('SELECT name, at, chain_head, hash FROM sign_off WHERE case_id = ?').get(id) as ChainedSignOff | undefined;
      const chain = checkChain(changes, signOff);
      const problem = chain.problem ?? (saved === null ? undefined : headFileProblem(this.headFile!, saved, index, chain));
      this.checked.set(id, problem ? { ok: false, problem } : { ok: true });
    }
    if (saved && saved.length > cases.length) {
      // Lines for cases that are no longer in the database: whole cases were removed outside wbc.
      const problem = `${this.headFile} names ${saved.length} cases, the database ${cases.length}: cases were removed outside wbc`;
      for (const { id } of cases) this.checked.set(id, { ok: false, problem });
    }
  }

  /** Whether a case's record held its checks when the database was opened (a failure stays until the record is repaired). */
  integrity(caseId: number): Integrity {
    return this.checked.get(caseId) ?? { ok: true };
  }

  /** The hash of a case's last entry: its sign-off once signed, or else its last audit entry. */
  head(caseId: number): string {
    const signOff = this.db.prepare('SELECT hash FROM sign_off WHERE case_id = ?').get(caseId) as { hash: string | null } | undefined;
    return signOff?.hash ?? this.auditHead(caseId);
  }

  auditHead(caseId: number): string {
    const last = this.db.prepare('SELECT hash FROM audit WHERE case_id = ? ORDER BY id DESC LIMIT 1').get(caseId) as { hash: string | null } | undefined;
    return last?.hash ?? CHAIN_START;
  }

  /**
   * After a change is committed: a kill before this leaves a head the chain passed through, which the
   * check accepts. While any case's record failed its check the head file is kept, so that the failure shows again.
   */
  recordHeads(): void {
    if (!this.headFile || [...this.checked.values()].some((integrity) => !integrity.ok)) return;
    writeChainHeads(this.headFile, this.cases().map(({ id }) => this.head(id)));
  }

  cases(): CaseRow[] {
    return this.db.prepare('SELECT id, name, folder FROM cases ORDER BY id').all() as CaseRow[];
  }

  caseById(id: number): CaseRow | undefined {
    return this.db.prepare('SELECT id, name, folder FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
  }

  /** The case of a folder (relative to the served folder; '' for the folder itself), added when new. */
  caseFor(folder: string, name: string): CaseRow {
    const found = this.db.prepare('SELECT id, name, folder FROM cases WHERE folder = ?').get(folder) as CaseRow | undefined;
    if (found) return found;
    const id = Number(this.db.prepare('INSERT INTO cases (name, folder) VALUES (?, ?)').run(name, folder).lastInsertRowid);
    this.recordHeads();
    return { id, name, folder };
  }

  /** Whether any case has a cell: a review begun. */
  hasCells(): boolean {
    return this.db.prepare('SELECT 1 FROM cells LIMIT 1').get() !== undefined;
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
