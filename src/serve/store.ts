import Database from 'better-sqlite3';
import type { Prediction } from '../classify/predictions';
import { WbcError } from '../util/errors';
import type { AuditRow, Cell, SignOff } from './api-schemas';

export type ReviewState = Pick<Cell, 'prediction' | 'label' | 'needs_review' | 'out_of_scope'>;

interface CellRow extends Omit<Cell, 'needs_review' | 'out_of_scope' | 'probabilities'> {
  needs_review: number;
  out_of_scope: number | null;
  probabilities: string;
}

/**
 * The schema's migrations: the one at index v takes a database from version v to v + 1 (PRAGMA
 * user_version). Version 1 is the first versioned schema; databases made before versions have exactly
 * its tables, which IF NOT EXISTS leaves as they are.
 */
const MIGRATIONS: readonly string[] = [`
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
`];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings a database to SCHEMA_VERSION in one transaction; refuses one made by a newer wbc, changing nothing. */
function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`its schema version ${version} is newer than this wbc knows (${SCHEMA_VERSION}); open it with a newer wbc`);
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

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

/**
 * The review of one image folder in SQLite, in WAL mode with full sync: every change is one transaction,
 * on disk before the call returns, so that an acknowledged change survives a kill at any moment.
 */
export class ReviewStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      migrate(db);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (error) {
      db?.close();
      throw new WbcError(`cannot open the review database ${file}: ${(error as Error).message}`);
    }
    this.db = db;
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
    return this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is signed off; it can no longer change');
      const changed: Cell[] = [];
      for (const id of ids) {
        const row = select.get(id) as { label: string | null } | undefined;
        if (!row) throw new WbcError(`no cell with id ${id}`);
        if (row.label === label) continue;
        update.run(label, label === null ? null : who, label === null ? null : at, id);
        audit.run(at, who, id, row.label, label);
        changed.push(this.cell(id)!);
      }
      return changed;
    }).immediate();
  }

  audit(): AuditRow[] {
    return this.db.prepare(`SELECT audit.id, audit.at, audit.who, audit.cell_id, cells.file, audit.old_label, audit.new_label
      FROM audit JOIN cells ON cells.id = audit.cell_id ORDER BY audit.id`).all() as AuditRow[];
  }

  signOff(): SignOff | undefined {
    return this.db.prepare('SELECT name, at FROM sign_off WHERE id = 1').get() as SignOff | undefined;
  }

  /** Freezes the review under a name; a second sign-off is refused. */
  signOffAs(name: string, at = new Date().toISOString()): SignOff {
    return this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is already signed off');
      this.db.prepare('INSERT INTO sign_off (id, name, at) VALUES (1, ?, ?)').run(name, at);
      return { name, at };
    }).immediate();
  }
}
