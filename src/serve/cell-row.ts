import type { Cell } from './api-schemas';

/** A row of the cells table as SQLite gives it. */
export interface CellRow extends Omit<Cell, 'needs_review' | 'out_of_scope' | 'probabilities' | 'missing' | 'group' | 'group_confidence'> {
  case_id?: number;
  needs_review: number;
  missing: number;
  out_of_scope: number | null;
  probabilities: string;
  category: string;
  category_confidence: number;
}

/** A row as the API's Cell (its case is the one it was asked of). */
export function toCell({ case_id: _case, category, category_confidence: categoryConfidence, ...row }: CellRow): Cell {
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
