import { api, differentialTable, element, isoWithOffset, isRelabel, showRecordChecks, type Cell, type Info } from './api.js';
import type { CaseComment } from '../api-schemas.js';

/** A term and its value in the report's list of facts. */
function fact(list: HTMLDListElement, term: string, value: string): void {
  list.append(element('dt', term), element('dd', value));
}

/** The case's comment (its conclusion) and each commented cell's, with who wrote them. */
function commentsSection(comment: CaseComment | null, cells: readonly Cell[]): HTMLElement {
  const section = element('section', '', 'comments');
  section.append(element('h2', 'Comments'));
  section.append(element('p', comment ? `Case: ${comment.text} (${comment.by}, ${isoWithOffset(comment.at)})` : 'Case: none.', 'comment case-comment'));
  const commented = cells.filter((cell) => !cell.missing && cell.comment !== null);
  if (commented.length > 0) {
    const list = element('ul', '', 'cell-comments');
    for (const cell of commented) {
      list.append(element('li', `${cell.file} (${cell.label ?? cell.prediction}): ${cell.comment} (${cell.comment_by ?? ''})`, 'comment'));
    }
    section.append(list);
  }
  return section;
}

/**
 * The printable report of a review: which specimen, which model, who signed it off and when (ISO 8601 with
 * the offset), how many cells were reviewed and changed, and the differential with its intervals.
 */
async function start(): Promise<void> {
  const [info, differential, audit, cells, comment] = await Promise.all([
    api('GET /api/info'),
    api('GET /api/differential'),
    api('GET /api/audit'),
    api('GET /api/cells'),
    api('GET /api/comment'),
  ]);
  showRecordChecks(info);
  const main = document.getElementById('report')!;
  document.title = `Differential · ${info.title}`;
  main.append(element('h1', `White-cell differential: ${info.title}`));
  main.append(element('p', info.sign_off
    ? `Signed off by ${info.sign_off.name} at ${isoWithOffset(info.sign_off.at)}.`
    : 'DRAFT: not signed off yet.', info.sign_off ? 'signed' : 'draft'));
  const facts = element('dl');
  fact(facts, 'Specimen (folder)', info.title);
  const model = info.model as { name: string; hash?: string };
  fact(facts, 'Model', model.hash ? `${model.name} (${model.hash})` : model.name);
  // The scheme the review was classified, flagged and counted in (servers before schemes: class by class).
  const scheme = (info as { scheme?: Info['scheme'] }).scheme;
  const grouped = scheme?.categories.filter((category) => category.classes.length > 1 || category.classes[0] !== category.name) ?? [];
  fact(facts, 'Reporting scheme', !scheme || scheme.name === 'nine' ? 'nine (class by class)'
    : `${scheme.name}${grouped.length ? `: ${grouped.map((category) => `${category.name} = ${category.classes.join(' + ')}`).join('; ')}` : ''}`);
  fact(facts, 'Signed off by', info.sign_off?.name ?? 'nobody yet');
  fact(facts, 'Signed off at', info.sign_off ? isoWithOffset(info.sign_off.at) : '–');
  fact(facts, 'Cells reviewed', `${differential.reviewed} of ${differential.cells}`);
  // Cells whose image is gone (where the server marks them) are not part of the review any more.
  const changed = cells.filter((cell) => !(cell as { missing?: boolean }).missing && cell.label !== null && cell.label !== cell.prediction);
  fact(facts, 'Cells changed from the prediction', String(changed.length));
  // Label changes only: what a rescan found (images added, gone, replaced) is no reviewer's change.
  const relabels = audit.filter(isRelabel);
  fact(facts, 'Changes recorded', relabels.length === 0 ? '0'
    : `${relabels.length}, from ${isoWithOffset(relabels[0].at)} to ${isoWithOffset(relabels[relabels.length - 1].at)}`);
  fact(facts, 'Printed at', isoWithOffset(new Date()));
  main.append(facts);
  main.append(element('p', `${differential.total} white cells counted. Percentages per 100 classified white cells with exact 95% Clopper–Pearson intervals`
    + `${(differential.non_white ?? []).length ? '; cells that are not white cells are counted apart (nucleated red cells per 100 white cells)' : ''}.`));
  main.append(differentialTable(differential));
  main.append(commentsSection(comment, cells));
  const print = element('button', 'Print', 'no-print');
  print.addEventListener('click', () => window.print());
  main.append(print);
  document.body.dataset.ready = 'true';
}

start().catch((error: Error) => {
  document.getElementById('report')!.append(element('p', error.message, 'error'));
});
