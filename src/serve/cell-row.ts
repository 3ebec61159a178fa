import type { Cell } from './api-schemas';

/** A row of the cells table as SQLite gives it. */
export interface CellRow extends Omit<Cell, 'needs_review' | 'out_of_scope' | 'probabilities' | 'missing'> {
  case_id?: number;
  needs_review: number;
  missing: number;
  out_of_scope: number | null;
  probabilities: string;
}

/** A row as the API's Cell (its case is the one it was asked of). */
export function toCell({ case_id: _case, ...row }: CellRow): Cell {
  return {
    ...row,
    needs_review: row.needs_review === 1,
    out_of_scope: row.out_of_scope === null ? null : row.out_of_scope === 1,
    probabilities: JSON.parse(row.probabilities) as number[],
    missing: row.missing === 1,
  };
}
