import type { Prediction } from '../classify/predictions';
import { WbcError } from '../util/errors';
import type { AuditRow, Cell, CaseComment, Integrity, SignOff } from './api-schemas';
import { changeHash, signOffHash, type AuditKind } from './audit-chain';
import { toCell, type CellRow } from './cell-row';
import { ReviewDatabase } from './review-database';

export { SCHEMA_VERSION } from './review-database';

export type ReviewState = Pick<Cell, 'prediction' | 'group' | 'probabilities' | 'label' | 'needs_review' | 'out_of_scope'>;

/** The optional out-of-scope fields that models with an out-of-scope check add to a prediction. */
interface MaybeOutOfScope {
  outOfScope?: boolean;
  outOfScopeScore?: number | null;
}

const SIGNED_OFF = 'the review is signed off; it can no longer change';

/**
 * The review of one case (one image folder) in the review database (see ReviewDatabase): every change is
 * one transaction, on disk before the call returns, and an audit entry chained by hash to the one before
 * in this case's chain.
 */
export class ReviewStore {
  private readonly database: ReviewDatabase;
  /** Whether this store opened its database (and closes it). */
  private readonly owned: boolean;
  readonly caseId: number;

  /**
   * Opens a review database file for the review of one folder (case '' , created when new), or takes the
   * review of one case of an open database.
   */
  constructor(source: string | ReviewDatabase, caseId?: number) {
    this.owned = typeof source === 'string';
    this.database = typeof source === 'string' ? new ReviewDatabase(source) : source;
    try {
      this.caseId = caseId ?? this.database.caseFor('', 'review').id;
    } catch (error) {
      if (this.owned) this.database.close();
      throw error;
    }
  }

  private get db() {
    return this.database.db;
  }

  /** Whether the record held its checks when the store was opened (a failure stays until the record is repaired). */
  integrity(): Integrity {
    return this.database.integrity(this.caseId);
  }

  private recordHead(): void {
    this.database.recordHeads();
  }

  close(): void {
    if (this.owned) this.database.close();
  }

  getMeta(key: string): string | undefined {
    return this.database.getMeta(key);
  }

  setMeta(key: string, value: string): void {
    this.database.setMeta(key, value);
  }

  /**
   * Stores the predictions of the files a scan of the folder asked for (see syncFolder), each with the
   * SHA-256 of the file it was classified from, in one transaction: new files become cells, replaced
   * ones get their new prediction. Cells added to a review that already had some are audit entries.
   */
  addPredictions(predictions: readonly Prediction[], sha256: ReadonlyMap<string, string> = new Map(), at = new Date().toISOString()): void {
    const upsert = this.db.prepare(`INSERT INTO cells
      (case_id, file, prediction, confidence, second, second_confidence, needs_review, out_of_scope, out_of_scope_score, probabilities, sha256, category, category_confidence, missing)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
      ON CONFLICT(case_id, file) DO UPDATE SET prediction = excluded.prediction, confidence = excluded.confidence, second = excluded.second,
        category = excluded.category, category_confidence = excluded.category_confidence,
        second_confidence = excluded.second_confidence, needs_review = excluded.needs_review, out_of_scope = excluded.out_of_scope,
        out_of_scope_score = excluded.out_of_scope_score, probabilities = excluded.probabilities, sha256 = excluded.sha256, missing = 0
      RETURNING id, (SELECT COUNT(*) FROM audit WHERE audit.cell_id = cells.id) AS events`);
    const hadCells = this.db.prepare('SELECT 1 FROM cells WHERE case_id = ? LIMIT 1').get(this.caseId) !== undefined;
    this.db.transaction(() => {
      for (const p of predictions) {
        const { outOfScope, outOfScopeScore } = p as Prediction & MaybeOutOfScope;
        const hasCheck = outOfScopeScore !== undefined && outOfScopeScore !== null;
        const hash = sha256.get(p.file) ?? null;
        const row = upsert.get(this.caseId, p.file, p.prediction, p.confidence, p.second, p.secondConfidence, p.needsReview ? 1 : 0,
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
      const rows = this.db.prepare('SELECT id, file, label, sha256, missing FROM cells WHERE case_id = ? ORDER BY id').all(this.caseId) as
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
  private appendAudit(kind: AuditKind, at: string, cellId: number | null, oldLabel: string | null, newLabel: string | null, reason: string | null, who = 'wbc'): void {
    const previous = this.database.auditHead(this.caseId);
    const id = Number(this.db.prepare('INSERT INTO audit (case_id, kind, at, who, cell_id, old_label, new_label, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(this.caseId, kind, at, who, cellId, oldLabel, newLabel, reason).lastInsertRowid);
    const hash = changeHash(previous, { id, kind, at, who, cell_id: cellId, old_label: oldLabel, new_label: newLabel, reason });
    this.db.prepare('UPDATE audit SET hash = ? WHERE id = ?').run(hash, id);
  }

  cells(): Cell[] {
    return (this.db.prepare('SELECT * FROM cells WHERE case_id = ? ORDER BY id').all(this.caseId) as CellRow[]).map(toCell);
  }

  /** The cells whose image is in the folder as classified: what counts and exports use. */
  presentCells(): Cell[] {
    return (this.db.prepare('SELECT * FROM cells WHERE case_id = ? AND missing = 0 ORDER BY id').all(this.caseId) as CellRow[]).map(toCell);
  }

  /** What the differential needs of every present cell. */
  reviewStates(): ReviewState[] {
    const rows = this.db.prepare('SELECT prediction, category, probabilities, label, needs_review, out_of_scope FROM cells WHERE case_id = ? AND missing = 0').all(this.caseId) as
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

  /** Flagged cells (needing review or out of scope) not reviewed yet: sign-off waits for them. */
  flaggedUnreviewed(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM cells WHERE case_id = ? AND missing = 0 AND label IS NULL
      AND (needs_review = 1 OR out_of_scope = 1)`).get(this.caseId) as { n: number }).n;
  }

  cell(id: number): Cell | undefined {
    const row = this.db.prepare('SELECT * FROM cells WHERE id = ? AND case_id = ?').get(id, this.caseId) as CellRow | undefined;
    return row && toCell(row);
  }

  /**
   * Sets the label of each cell (null: back to unreviewed) and writes one audit row per cell whose label
   * changes, all in one transaction. Returns the changed cells; throws when an id is unknown or the
   * review is signed off, changing nothing.
   */
  setLabels(ids: readonly number[], label: string | null, who: string, at = new Date().toISOString()): Cell[] {
    const select = this.db.prepare('SELECT label FROM cells WHERE id = ? AND case_id = ?');
    const update = this.db.prepare('UPDATE cells SET label = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?');
    const changed = this.db.transaction(() => {
      if (this.signOff()) throw new WbcError(SIGNED_OFF);
      const changed: Cell[] = [];
      for (const id of ids) {
        const row = select.get(id, this.caseId) as { label: string | null } | undefined;
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
      FROM audit LEFT JOIN cells ON cells.id = audit.cell_id WHERE audit.case_id = ? ORDER BY audit.id`).all(this.caseId) as AuditRow[];
  }

  signOff(): SignOff | undefined {
    return this.db.prepare('SELECT name, at, chain_head FROM sign_off WHERE case_id = ?').get(this.caseId) as SignOff | undefined;
  }

  /** Freezes the review under a name, sealing the audit chain's head; a second sign-off is refused. */
  signOffAs(name: string, at = new Date().toISOString()): SignOff {
    const signOff = this.db.transaction(() => {
      if (this.signOff()) throw new WbcError('the review is already signed off');
      const sealed = { name, at, chain_head: this.database.auditHead(this.caseId) };
      this.db.prepare('INSERT INTO sign_off (case_id, name, at, chain_head, hash) VALUES (?, ?, ?, ?, ?)').run(this.caseId, name, at, sealed.chain_head, signOffHash(sealed));
      return sealed;
    }).immediate();
    this.recordHead();
    return signOff;
  }

  /** Sets (or, with null, clears) a cell's comment, audited; refused once signed off. Returns the cell. */
  setCellComment(id: number, text: string | null, who: string, at = new Date().toISOString()): Cell {
    this.db.transaction(() => {
      if (this.signOff()) throw new WbcError(SIGNED_OFF);
      const cell = this.cell(id);
      if (!cell) throw new WbcError(`no cell with id ${id}`);
      if (cell.comment === text) return;
      this.db.prepare('UPDATE cells SET comment = ?, comment_by = ?, comment_at = ? WHERE id = ?')
        .run(text, text === null ? null : who, text === null ? null : at, id);
      this.appendAudit('comment', at, id, cell.comment, text, null, who);
    }).immediate();
    this.recordHead();
    return this.cell(id)!;
  }

  /** The comment on the whole case (the slide), or null. */
  caseComment(): CaseComment | null {
    const row = this.db.prepare('SELECT comment AS text, comment_by AS by, comment_at AS at FROM cases WHERE id = ?').get(this.caseId) as
      { text: string | null; by: string | null; at: string | null } | undefined;
    return row?.text == null ? null : { text: row.text, by: row.by!, at: row.at! };
  }

  /** Sets (or, with null, clears) the case's comment, audited (an entry without a cell); refused once signed off. */
  setCaseComment(text: string | null, who: string, at = new Date().toISOString()): CaseComment | null {
    this.db.transaction(() => {
      if (this.signOff()) throw new WbcError(SIGNED_OFF);
      const old = this.caseComment()?.text ?? null;
      if (old === text) return;
      this.db.prepare('UPDATE cases SET comment = ?, comment_by = ?, comment_at = ? WHERE id = ?')
        .run(text, text === null ? null : who, text === null ? null : at, this.caseId);
      this.appendAudit('comment', at, null, old, text, null, who);
    }).immediate();
    this.recordHead();
    return this.caseComment();
  }
}
