import Database from 'better-sqlite3';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Prediction } from '../classify/predictions';
import { WbcError } from '../util/errors';
import { AuditRow, Cell, type Integrity, type SignOff } from './api-schemas';
import { CHAIN_START, changeHash, checkChain, signOffHash, type ChainedChange, type ChainedSignOff } from './audit-chain';
import { chainHeadFile, headFileProblem, writeChainHead } from './chain-head-file';

export type ReviewState = Pick<Cell, 'prediction' | 'label' | 'needs_review' | 'out_of_scope'>;

interface CellRow extends Omit<Cell, 'needs_review' | 'out_of_scope' | 'probabilities'> {
  needs_review: number;
  out_of_scope: number | null;
  probabilities: string;
}

/**
 * The schema's migrations: the one at index v takes a database from version v to v + 1 (PRAGMA
 * user_version). Version 1 is the first versioned schema; databases made before versions have exactly
 * its tables, which IF NOT EXISTS leaves as they are. Version 2 chains the audit by hash.
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
  db.exec(`ALTER TABLE audit ADD COLUMN hash TEXT;
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
}];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

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
  db.transaction(() => {
    for (const migration of MIGRATIONS.slice(version)) migration(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
  return version;
}

/** The first version whose audit is chained, with its head kept beside the database. */
const CHAINED_VERSION = 2;

/** The optional out-of-scope fields that models with an out-of-scope check add to a prediction. */
interface MaybeOutOfScope {
  outOfScope?: boolean;
  outOfScopeScore?: number | null;
}

function toCell(row: CellRow): Cell {
  return {
    ...row,
    needs_review: row.needs_review === 1,
    out_of_scope: row.out_of_scope === null ? null : row.out_of_scope === 1,
    probabilities: JSON.parse(row.probabilities) as number[],
  };
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
  for (const row of db.prepare('SELECT id, at, who, cell_id, old_label, new_label FROM audit ORDER BY id').iterate()) {
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

/**
 * The review of one image folder in SQLite, in WAL mode with full sync: every change is one transaction,
 * on disk before the call returns, so that an acknowledged change survives a kill at any moment. Every
 * change is an audit entry chained by hash to the one before; the chain's head is also kept beside the
 * database (see chain-head-file.ts).
 */
export class ReviewStore {
  private readonly db: Database.Database;
  /** The head file, or null for a database in memory. */
  private readonly headFile: string | null;
  private readonly checked: Integrity;

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
    this.checked = this.checkChain(opened.foundVersion >= CHAINED_VERSION);
    // Rewritten only while the record holds, so that a broken one keeps its evidence; this also proves the folder writable.
    try {
      if (this.checked.ok && this.headFile) writeChainHead(this.headFile, this.head());
    } catch (error) {
      this.db.close();
      throw new WbcError(`cannot write ${this.headFile}: ${(error as Error).message}`);
    }
  }

  private checkChain(withHeadFile: boolean): Integrity {
    const changes = this.db.prepare('SELECT id, at, who, cell_id, old_label, new_label, hash FROM audit ORDER BY id').all() as ChainedChange[];
    const signOff = this.db.prepare('SELECT name, at, chain_head, hash FROM sign_off WHERE id = 1').get() as ChainedSignOff | undefined;
    const chain = checkChain(changes, signOff);
    const problem = chain.problem ?? (this.headFile && withHeadFile ? headFileProblem(this.headFile, chain) : undefined);
    return problem ? { ok: false, problem } : { ok: true };
  }

  /** Whether the record held its checks when the store was opened (a failure stays until the record is repaired). */
  integrity(): Integrity {
    return this.checked;
  }

  /** The hash of the last entry: the sign-off once signed, or else the last label change. */
  private head(): string {
    const signOff = this.db.prepare('SELECT hash FROM sign_off WHERE id = 1').get() as { hash: string | null } | undefined;
    if (signOff?.hash) return signOff.hash;
    return this.auditHead();
  }

  private auditHead(): string {
    const last = this.db.prepare('SELECT hash FROM audit ORDER BY id DESC LIMIT 1').get() as { hash: string | null } | undefined;
    return last?.hash ?? CHAIN_START;
  }

  /** After a change is committed: a kill before this leaves a head the chain passed through, which the check accepts. */
  private recordHead(): void {
    if (this.headFile) writeChainHead(this.headFile, this.head());
  }

  close(): void {
    this.db.close();
  }
  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Adds the predictions of files not yet in the store, in one transaction; reviews already made stay. */
  addPredictions(predictions: readonly Prediction[]): void {
    const insert = this.db.prepare(`INSERT OR IGNORE INTO cells
      (file, prediction, confidence, second, second_confidence, needs_review, out_of_scope, out_of_scope_score, probabilities)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const p of predictions) {
        const { outOfScope, outOfScopeScore } = p as Prediction & MaybeOutOfScope;
        const hasCheck = outOfScopeScore !== undefined && outOfScopeScore !== null;
        insert.run(p.file, p.prediction, p.confidence, p.second, p.secondConfidence, p.needsReview ? 1 : 0,
          hasCheck ? (outOfScope ? 1 : 0) : null, hasCheck ? outOfScopeScore : null, JSON.stringify(p.probabilities));
      }
    })();
  }

  cells(): Cell[] {
    return (this.db.prepare('SELECT * FROM cells ORDER BY id').all() as CellRow[]).map(toCell);
  }

  /** What the differential needs of every cell, without the probabilities: cheap for thousands of cells. */
  reviewStates(): ReviewState[] {
    const rows = this.db.prepare('SELECT prediction, label, needs_review, out_of_scope FROM cells').all() as
      { prediction: string; label: string | null; needs_review: number; out_of_scope: number | null }[];
    return rows.map((row) => ({
      prediction: row.prediction,
      label: row.label,
      needs_review: row.needs_review === 1,
      out_of_scope: row.out_of_scope === null ? null : row.out_of_scope === 1,
    }));
  }

  cell(id: number): Cell | undefined {
    const row = this.db.prepare('SELECT * FROM cells WHERE id = ?').get(id) as CellRow | undefined;
    return row && toCell(row);
  }

  /**
   * Sets the label of each cell (null: back to unreviewed) and writes one audit row per cell whose label
   * changes, all in one transaction. Returns the changed cells; throws when an id is unknown or the
   * review is signed off, changing nothing.
   */
  setLabels(ids: readonly number[], label: string | null, who: string, at = new Date().toISOString()): Cell[] {
    const select = this.db.prepare('SELECT label FROM cells WHERE id = ?');
    const update = this.db.prepare('UPDATE cells SET label = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?');
    const audit = this.db.prepare('INSERT INTO audit (at, who, cell_id, old_label, new_label) VALUES (?, ?, ?, ?, ?)');
    const chain = this.db.prepare('UPDATE audit SET hash = ? WHERE id = ?');
    const changed = this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is signed off; it can no longer change');
      const changed: Cell[] = [];
      for (const id of ids) {
        const row = select.get(id) as { label: string | null } | undefined;
        if (!row) throw new WbcError(`no cell with id ${id}`);
        if (row.label === label) continue;
        update.run(label, label === null ? null : who, label === null ? null : at, id);
        const previous = this.auditHead();
        const entry = Number(audit.run(at, who, id, row.label, label).lastInsertRowid);
        chain.run(changeHash(previous, { id: entry, at, who, cell_id: id, old_label: row.label, new_label: label }), entry);
        changed.push(this.cell(id)!);
      }
      return changed;
    }).immediate();
    if (changed.length > 0) this.recordHead();
    return changed;
  }

  audit(): AuditRow[] {
    return this.db.prepare(`SELECT audit.id, audit.at, audit.who, audit.cell_id, cells.file, audit.old_label, audit.new_label
      FROM audit JOIN cells ON cells.id = audit.cell_id ORDER BY audit.id`).all() as AuditRow[];
  }

  signOff(): SignOff | undefined {
    return this.db.prepare('SELECT name, at, chain_head FROM sign_off WHERE id = 1').get() as SignOff | undefined;
  }

  /** Freezes the review under a name, sealing the audit chain's head; a second sign-off is refused. */
  signOffAs(name: string, at = new Date().toISOString()): SignOff {
    const signOff = this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is already signed off');
      const sealed = { name, at, chain_head: this.auditHead() };
      this.db.prepare('INSERT INTO sign_off (id, name, at, chain_head, hash) VALUES (1, ?, ?, ?, ?)').run(name, at, sealed.chain_head, signOffHash(sealed));
      return sealed;
    }).immediate();
    this.recordHead();
    return signOff;
  }
}
