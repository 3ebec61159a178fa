import { api, apiAt, type Cell } from './api.js';

/** What the comment boxes need of the gallery. */
export interface CommentHost {
  focusedCell(): Cell | undefined;
  reviewer(): string;
  frozen(): boolean;
  /** A cell as the server has it after a change. */
  updated(cell: Cell): void;
  /** Gives the keyboard back to the gallery's focused tile. */
  backToGallery(): void;
  say(text: string, isError?: boolean): void;
}

const box = (id: string) => document.getElementById(id) as HTMLTextAreaElement;

/**
 * The comment boxes: one for the focused cell (the gallery's `c` opens it) and one for the whole case.
 * Enter saves (Shift+Enter is a new line) and gives the keys back to the gallery; Esc gives them back
 * unsaved. A comment needs the reviewer's name and is frozen at sign-off, as labels are.
 */
export function setUpComments(host: CommentHost): { edit(): void; show(cell: Cell | undefined): void; load(): Promise<void> } {
  const cellBox = box('cell-comment');
  const caseBox = box('case-comment');
  let editing: number | undefined;

  const allowed = (): boolean => {
    if (host.frozen()) host.say('The review is signed off; it can no longer change.', true);
    else if (!host.reviewer()) host.say('Type your name in Reviewer first: every comment records who wrote it.', true);
    else return true;
    return false;
  };

  const saveCell = async (): Promise<void> => {
    if (editing === undefined || !allowed()) return;
    const cell = await apiAt('PUT /api/cells/:id/comment', `/api/cells/${editing}/comment`, { comment: cellBox.value, reviewer: host.reviewer() });
    host.updated(cell);
    host.say(cell.comment === null ? 'Comment removed' : 'Comment saved');
  };

  const saveCase = async (): Promise<void> => {
    if (!allowed()) return;
    const comment = await api('PUT /api/comment', { comment: caseBox.value, reviewer: host.reviewer() });
    caseBox.value = comment?.text ?? '';
    host.say(comment === null ? 'Case comment removed' : 'Case comment saved');
  };

  const keys = (save: () => Promise<void>, after: () => void) => (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      save().then(after, (error: Error) => host.say(error.message, true));
    } else if (event.key === 'Escape') {
      event.preventDefault();
      after();
    }
  };
  cellBox.addEventListener('keydown', keys(saveCell, () => host.backToGallery()));
  caseBox.addEventListener('keydown', keys(saveCase, () => caseBox.blur()));

  return {
    edit() {
      const cell = host.focusedCell();
      if (!cell) return;
      editing = cell.id;
      cellBox.value = cell.comment ?? '';
      cellBox.focus();
    },
    show(cell) {
      if (document.activeElement === cellBox) return;
      editing = cell?.id;
      cellBox.value = cell?.comment ?? '';
    },
    async load() {
      caseBox.value = (await api('GET /api/comment'))?.text ?? '';
    },
  };
}
