import { api, element, isoWithOffset } from './api.js';
import type { WorklistRow } from '../api-schemas.js';

/**
 * The worklist: every case with its state, its cells, the flagged cells still to review and its sign-off,
 * refreshed as cases are classified or added. Keyboard first: arrows or j/k move, Enter opens a case.
 */

const REFRESH_MS = 2000;
const STATE_WORDS: Record<WorklistRow['state'], string> = {
  queued: 'queued',
  classifying: 'classifying',
  to_review: 'to review',
  signed_off: 'signed off',
  failed: 'classification failed',
};

let cases: WorklistRow[] = [];
/** The focused case, by id, so that it stays focused as the list grows. */
let focusedId: number | undefined;

const body = () => document.querySelector<HTMLTableSectionElement>('#cases tbody')!;
const caseUrl = (id: number) => `/cases/${id}/`;

function say(text: string, isError = false): void {
  const message = document.getElementById('message')!;
  message.textContent = text;
  message.classList.toggle('error', isError);
}

/** The case's FHIR R4 Bundle (final once signed off, else preliminary), to download. */
function exportCell(id: number): HTMLTableCellElement {
  const fhir = element('a', 'FHIR');
  fhir.href = `/api/cases/${id}/fhir`;
  fhir.download = `case-${id}.fhir.json`;
  fhir.tabIndex = -1;
  const cell = element('td');
  cell.append(fhir);
  return cell;
}

function row(summary: WorklistRow): HTMLTableRowElement {
  const tr = element('tr', '', `state-${summary.state}`);
  tr.dataset.id = String(summary.id);
  tr.dataset.state = summary.state;
  tr.tabIndex = -1;
  const link = element('a', summary.name);
  link.href = caseUrl(summary.id);
  link.tabIndex = -1;
  const name = element('td');
  name.append(link);
  tr.append(name, element('td', STATE_WORDS[summary.state], 'state'), element('td', String(summary.cells), 'number'),
    element('td', String(summary.pending_review), 'number'), element('td', summary.signed_off_by ?? ''),
    element('td', summary.signed_off_at ? isoWithOffset(summary.signed_off_at) : ''), exportCell(summary.id));
  tr.addEventListener('click', () => focus(summary.id));
  tr.addEventListener('dblclick', () => open(summary.id));
  return tr;
}

/** Draws the list anew, keeping the focused case (the first, when none yet). */
function render(): void {
  const hadFocus = body().contains(document.activeElement);
  body().replaceChildren(...cases.map(row));
  if (focusedId === undefined || !cases.some((c) => c.id === focusedId)) focusedId = cases[0]?.id;
  markFocus(hadFocus);
  const toReview = cases.filter((c) => c.state === 'to_review').length;
  const signed = cases.filter((c) => c.state === 'signed_off').length;
  document.getElementById('counts')!.textContent = `${cases.length} case${cases.length === 1 ? '' : 's'}: ${toReview} to review, ${signed} signed off`;
}

function markFocus(takeFocus: boolean): void {
  for (const tr of body().rows) {
    const on = Number(tr.dataset.id) === focusedId;
    tr.classList.toggle('focused', on);
    tr.tabIndex = on ? 0 : -1;
    tr.setAttribute('aria-selected', String(on));
    if (on && takeFocus) tr.focus();
  }
}

function focus(id: number): void {
  focusedId = id;
  markFocus(true);
  body().querySelector<HTMLElement>(`tr[data-id="${id}"]`)?.scrollIntoView({ block: 'nearest' });
}

function open(id: number): void {
  window.location.href = caseUrl(id);
}

function onKey(event: KeyboardEvent): void {
  if (event.altKey || event.ctrlKey || event.metaKey || cases.length === 0) return;
  const index = Math.max(0, cases.findIndex((c) => c.id === focusedId));
  const moves: Record<string, number> = { ArrowDown: index + 1, j: index + 1, ArrowUp: index - 1, k: index - 1, Home: 0, End: cases.length - 1 };
  if (event.key in moves) {
    focus(cases[Math.max(0, Math.min(cases.length - 1, moves[event.key]))].id);
  } else if (event.key === 'Enter' && focusedId !== undefined) {
    open(focusedId);
  } else {
    return;
  }
  event.preventDefault();
}

async function refresh(): Promise<void> {
  cases = await api('GET /api/cases');
  render();
}

async function start(): Promise<void> {
  await refresh();
  body().addEventListener('keydown', onKey);
  markFocus(true);
  document.body.dataset.ready = 'true';
  setInterval(() => void refresh().then(() => say(''), (error: Error) => say(error.message, true)), REFRESH_MS);
}

start().catch((error: Error) => say(error.message, true));
