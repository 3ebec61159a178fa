import type { AuditRow } from '../api-schemas.js';
import { isRelabel } from './api.js';

/** One change the page can undo: each cell's label before it and after it. */
export interface Change {
  before: Map<number, string | null>;
  after: Map<number, string | null>;
}

/** A label change always names its cell (a case comment's entry names none). */
type LabelChange = AuditRow & { cell_id: number };

function change(rows: readonly Pick<LabelChange, 'cell_id' | 'old_label' | 'new_label'>[]): Change {
  return { before: new Map(rows.map((r) => [r.cell_id, r.old_label])), after: new Map(rows.map((r) => [r.cell_id, r.new_label])) };
}

/** Audit rows that record a person's label change (a record may hold other events too). */
function isLabelChange(row: AuditRow): row is LabelChange {
  return isRelabel(row) && typeof row.cell_id === 'number' && 'new_label' in row;
}

/**
 * The undo stack a session would have now, rebuilt from the audit trail (oldest first): rows written in one
 * transaction (same time and person) are one change; rows that put back what the change on top of the
 * stack replaced are its undo (an undo may take several requests, one per label), which removes it.
 */
export function undoStackFromAudit(audit: readonly AuditRow[]): Change[] {
  const stack: Change[] = [];
  let undone = new Set<number>();
  const rows = audit.filter(isLabelChange);
  for (let start = 0; start < rows.length;) {
    let end = start + 1;
    while (end < rows.length && rows[end].at === rows[start].at && rows[end].who === rows[start].who) end += 1;
    const group = rows.slice(start, end);
    start = end;
    const top = stack[stack.length - 1];
    const undoesTop = top !== undefined && group.every((r) =>
      !undone.has(r.cell_id) && top.after.get(r.cell_id) === r.old_label && top.before.has(r.cell_id) && top.before.get(r.cell_id) === r.new_label);
    if (!undoesTop) {
      stack.push(change(group));
      undone = new Set();
      continue;
    }
    for (const r of group) undone.add(r.cell_id);
    if (undone.size === top.before.size) {
      stack.pop();
      undone = new Set();
    }
  }
  return stack;
}
