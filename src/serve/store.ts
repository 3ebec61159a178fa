import Database from 'better-sqlite3';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Prediction } from '../classify/predictions';
import { WbcError } from '../util/errors';
import { AuditRow, Cell, type Integrity, type SignOff } from './api-schemas';
import { CHAIN_START, changeHash, checkChain, signOffHash, type AuditKind, type ChainedChange, type ChainedSignOff } from './audit-chain';
import { chainHeadFile, headFileProblem, writeChainHead } from './chain-head-file';

export type ReviewState = Pick<Cell, 'prediction' | 'group' | 'probabilities' | 'label' | 'needs_review' | 'out_of_scope'>;

interface CellRow extends Omit<Cell, 'needs_review' | 'out_of_scope' | 'probabilities' | 'missing' | 'group' | 'group_confidence'> {
  needs_review: number;
  missing: number;
  out_of_scope: number | null;
  probabilities: string;
  category: string;
  category_confidence: number;
}

/**
 * The schema's migrations: the one at index v takes a database from version v to v + 1 (PRAGMA
 * user_version). Version 1 is the first versioned schema; databases made before versions have exactly
 * its tables, which IF NOT EXISTS leaves as they are. Version 2 chains the audit by hash, records rescan
 * events in it, and gives each cell the SHA-256 of the image it was classified from. Version 3 gives each
 * cell its reporting scheme's category and its confidence (meta `scheme` names the scheme).
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

function toCell({ category, category_confidence: categoryConfidence, ...row }: CellRow): Cell {
  return {
    ...row,
    group: category,
    group_confidence: categoryConfidence,
    needs_review: row.needs_review === 1,
    out_of_scope: row.out_of_scope === null ? null : row.out_of_scope === 1,
    probabilities: JSON.parse(row.probabilities) as number[],
    missing: row.missing === 1,
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
    const changes = this.db.prepare('SELECT id, kind, at, who, cell_id, old_label, new_label, reason, hash FROM audit ORDER BY id').all() as ChainedChange[];
    const signOff = this.db.prepare('SELECT name, at, chain_head, hash FROM sign_off WHERE id = 1').get() as ChainedSignOff | undefined;
    const chain = checkChain(changes, signOff);
    const problem = chain.problem ?? (this.headFile && withHeadFile ? headFileProblem(this.headFile, chain) : undefined);
    return problem ? { ok: false, problem } : { ok: true };
  }

  /** Whether the record held its checks when the store was opened (a failure stays until the record is repaired). */
  integrity(): Integrity {
    return this.checked;
  }

  /** The hash of the last entry: the sign-off once signed, or else the last audit entry. */
  private head(): string {
    const signOff = this.db.prepare('SELECT hash FROM sign_off WHERE id = 1').get() as { hash: string | null } | undefined;
    if (signOff?.hash) return signOff.hash;
    return this.auditHead();
  }

  private auditHead(): string {
    const last = this.db.prepare('SELECT hash FROM audit ORDER BY id DESC LIMIT 1').get() as { hash: string | null } | undefined;
    return last?.hash ?? CHAIN_START;
  }

  /**
   * After a change is committed: a kill before this leaves a head the chain passed through, which the
   * check accepts. A record that failed its check keeps its head file, so that the failure shows again.
   */
  private recordHead(): void {
    if (this.headFile && this.checked.ok) writeChainHead(this.headFile, this.head());
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

  /**
   * Stores the predictions of the files a scan of the folder asked for (see syncFolder), each with the
   * SHA-256 of the file it was classified from, in one transaction: new files become cells, replaced
   * ones get their new prediction. Cells added to a review that already had some are audit entries.
   */
  addPredictions(predictions: readonly Prediction[], sha256: ReadonlyMap<string, string> = new Map(), at = new Date().toISOString()): void {
    const upsert = this.db.prepare(`INSERT INTO cells
      (file, prediction, confidence, second, second_confidence, needs_review, out_of_scope, out_of_scope_score, probabilities, sha256, category, category_confidence, missing)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
      ON CONFLICT(file) DO UPDATE SET prediction = excluded.prediction, confidence = excluded.confidence, second = excluded.second,
        category = excluded.category, category_confidence = excluded.category_confidence,
        second_confidence = excluded.second_confidence, needs_review = excluded.needs_review, out_of_scope = excluded.out_of_scope,
        out_of_scope_score = excluded.out_of_scope_score, probabilities = excluded.probabilities, sha256 = excluded.sha256, missing = 0
      RETURNING id, (SELECT COUNT(*) FROM audit WHERE audit.cell_id = cells.id) AS events`);
    const hadCells = this.db.prepare('SELECT 1 FROM cells LIMIT 1').get() !== undefined;
    this.db.transaction(() => {
      for (const p of predictions) {
        const { outOfScope, outOfScopeScore } = p as Prediction & MaybeOutOfScope;
        const hasCheck = outOfScopeScore !== undefined && outOfScopeScore !== null;
        const hash = sha256.get(p.file) ?? null;
        const row = upsert.get(p.file, p.prediction, p.confidence, p.second, p.secondConfidence, p.needsReview ? 1 : 0,
          hasCheck ? (outOfScope ? 1 : 0) : null, hasCheck ? outOfScopeScore : null, JSON.stringify(p.probabilities), hash, p.group, p.groupConfidence) as { id: number; events: number };
        if (hadCells && row.events === 0) this.appendAudit('added', at, row.id, null, null, 'a new image in the folder, classified');
      }
    }).immediate();
    this.recordHead();
  }

  /**
   * Brings the cells in step with what a scan found (relative file → SHA-256 of its content), in one
   * transaction: a cell whose file is gone is marked missing; one whose file came back unchanged is not; one
   * whose content changed loses its prediction's standing and its review (the old label kept in the audit)
   * and waits, missing, to be classified anew. Returns the files to classify: new ones and changed ones.
   * A signed-off review does not change: nothing is returned.
   */
  syncFolder(found: ReadonlyMap<string, string>, at = new Date().toISOString()): string[] {
    const toClassify = this.db.transaction(() => {
      if (this.signOff()) return [];
      const known = new Set<string>();
      const toClassify: string[] = [];
      const rows = this.db.prepare('SELECT id, file, label, sha256, missing FROM cells ORDER BY id').all() as
        { id: number; file: string; label: string | null; sha256: string | null; missing: number }[];
      for (const row of rows) {
        known.add(row.file);
        const now = found.get(row.file);
        if (now === undefined) {
          if (row.missing === 0) this.markCell(row.id, 1, row.sha256, row.label, 'missing', at, row.label, 'the image is gone from the folder, or refused');
        } else if (row.sha256 === null && row.missing === 0) {
          this.markCell(row.id, 0, now, row.label, 'hashed', at, row.label, 'the review predates content hashes: the file as found now is taken as the one classified');
        } else if (row.sha256 === now) {
          if (row.missing === 1) this.markCell(row.id, 0, now, row.label, 'returned', at, row.label, 'the image is back, unchanged');
        } else {
          if (row.sha256 !== null) {
            this.markCell(row.id, 1, null, null, 'replaced', at, row.label,
              `the image's content changed (sha256 ${row.sha256.slice(0, 12)}… now ${now.slice(0, 12)}…): classified anew, its review dropped`);
          }
          toClassify.push(row.file);
        }
      }
      for (const file of found.keys()) if (!known.has(file)) toClassify.push(file);
      return toClassify;
    }).immediate();
    this.recordHead();
    return toClassify;
  }

  /** Sets a cell's presence, content hash and label, with the audit entry that says why. */
  private markCell(id: number, missing: number, sha256: string | null, label: string | null, kind: AuditKind, at: string, oldLabel: string | null, reason: string): void {
    const keepsReview = label === oldLabel;
    this.db.prepare(`UPDATE cells SET missing = ?, sha256 = ?, label = ?${keepsReview ? '' : ', reviewed_by = NULL, reviewed_at = NULL'} WHERE id = ?`)
      .run(missing, sha256, label, id);
    this.appendAudit(kind, at, id, oldLabel, label, reason);
  }

  /** Appends one audit entry, chained to the one before; inside the caller's transaction. */
  private appendAudit(kind: AuditKind, at: string, cellId: number, oldLabel: string | null, newLabel: string | null, reason: string | null, who = 'wbc'): void {
    const previous = this.auditHead();
    const id = Number(this.db.prepare('INSERT INTO audit (kind, at, who, cell_id, old_label, new_label, reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(kind, at, who, cellId, oldLabel, newLabel, reason).lastInsertRowid);
    const hash = changeHash(previous, { id, kind, at, who, cell_id: cellId, old_label: oldLabel, new_label: newLabel, reason });
    this.db.prepare('UPDATE audit SET hash = ? WHERE id = ?').run(hash, id);
  }

  cells(): Cell[] {
    return (this.db.prepare('SELECT * FROM cells ORDER BY id').all() as CellRow[]).map(toCell);
  }

  /** The cells whose image is in the folder as classified: what counts and exports use. */
  presentCells(): Cell[] {
    return (this.db.prepare('SELECT * FROM cells WHERE missing = 0 ORDER BY id').all() as CellRow[]).map(toCell);
  }

  /** What the differential needs of every present cell. */
  reviewStates(): ReviewState[] {
    const rows = this.db.prepare('SELECT prediction, category, probabilities, label, needs_review, out_of_scope FROM cells WHERE missing = 0').all() as
      { prediction: string; category: string; probabilities: string; label: string | null; needs_review: number; out_of_scope: number | null }[];
    return rows.map((row) => ({
      prediction: row.prediction,
      group: row.category,
      probabilities: JSON.parse(row.probabilities) as number[],
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
    const changed = this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is signed off; it can no longer change');
      const changed: Cell[] = [];
      for (const id of ids) {
        const row = select.get(id) as { label: string | null } | undefined;
        if (!row) throw new WbcError(`no cell with id ${id}`);
        if (row.label === label) continue;
        update.run(label, label === null ? null : who, label === null ? null : at, id);
        this.appendAudit('label', at, id, row.label, label, null, who);
        changed.push(this.cell(id)!);
      }
      return changed;
    }).immediate();
    if (changed.length > 0) this.recordHead();
    return changed;
  }

  audit(): AuditRow[] {
    return this.db.prepare(`SELECT audit.id, audit.kind, audit.at, audit.who, audit.cell_id, cells.file, audit.old_label, audit.new_label, audit.reason
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
