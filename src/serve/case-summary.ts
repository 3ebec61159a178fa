import type { CaseComment, Cell, Differential, SignOff, WorklistRow } from './api-schemas';
import type { AppContext } from './context';
import { reviewDifferential } from './review-differential';

/** A case's line in the worklist. */
export function worklistRow(context: AppContext): WorklistRow {
  const { store, progress } = context;
  const signOff = store.signOff();
  const state = signOff ? 'signed_off'
    : context.queued?.() ? 'queued'
      : progress.state === 'classifying' ? 'classifying'
        : progress.state === 'failed' ? 'failed' : 'to_review';
  return {
    id: store.caseId,
    name: context.title,
    state,
    cells: store.presentCells().length,
    pending_review: store.flaggedUnreviewed(),
    signed_off_by: signOff?.name ?? null,
    signed_off_at: signOff?.at ?? null,
  };
}

/** What a laboratory information system takes of a case (see signedOffSummary). */
export interface CaseResult {
  case: { id: number; name: string };
  model: { name: string; version: string };
  /** Null until the case is signed off: the result is then preliminary. */
  signOff: SignOff | null;
  /** The reviewed differential: counts per class with intervals, binned cells and unreviewed out-of-scope cells counted apart. */
  differential: Differential;
  comment: CaseComment | null;
  /** The cells with a comment, in id order. */
  cellComments: Pick<Cell, 'id' | 'file' | 'prediction' | 'label' | 'comment' | 'comment_by' | 'comment_at'>[];
}

/** A case's result as reviewed (final once signed off): what an export to a laboratory information system needs. */
export function signedOffSummary(context: AppContext): CaseResult {
  const { store } = context;
  return {
    case: { id: store.caseId, name: context.title },
    model: { name: context.modelName, version: context.modelVersion },
    signOff: store.signOff() ?? null,
    differential: reviewDifferential(store.reviewStates(), context.classes, context.scheme),
    comment: store.caseComment(),
    cellComments: store.presentCells().filter((cell) => cell.comment !== null)
      .map(({ id, file, prediction, label, comment, comment_by, comment_at }) => ({ id, file, prediction, label, comment, comment_by, comment_at })),
  };
}
