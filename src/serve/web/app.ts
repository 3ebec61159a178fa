import { api, differentialTable, element, percent, type Cell, type Info, type SignOff } from './api.js';

/** The gallery page: a needs-review queue, then one group per predicted class, most uncertain first. */

const BIN_KEYS: Record<string, string> = { u: 'unidentified', s: 'smudge', a: 'artefact', o: 'other cell' };
const REVIEWER_KEY = 'wbc-reviewer';

interface Change {
  /** Each cell's label before the change. */
  before: [number, string | null][];
}

let info: Info;
const cells = new Map<number, Cell>();
/** Cell ids in display order, fixed once loaded so that tiles never jump while someone works. */
let order: number[] = [];
const tiles = new Map<number, HTMLElement>();
let focused = 0;
const selected = new Set<number>();
const undoStack: Change[] = [];
let busy = false;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function say(text: string, isError = false): void {
  const message = byId('message');
  message.textContent = text;
  message.classList.toggle('error', isError);
}

function reviewer(): string {
  return byId<HTMLInputElement>('reviewer').value.trim();
}

function frozen(): boolean {
  return info.sign_off !== null;
}

async function waitForClassification(): Promise<void> {
  const bar = byId<HTMLProgressElement>('progress-bar');
  const text = byId('progress-text');
  for (;;) {
    const progress = await api('GET /api/progress');
    bar.max = Math.max(progress.total, 1);
    bar.value = progress.done;
    if (progress.state === 'failed') {
      text.textContent = `Classification failed: ${progress.error ?? ''}`;
      throw new Error(progress.error);
    }
    if (progress.state === 'done') {
      text.textContent = `${progress.total} images classified`;
      return;
    }
    text.textContent = `Classifying ${progress.done} of ${progress.total || '…'}`;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function inQueue(cell: Cell): boolean {
  return cell.label === null && (cell.needs_review || cell.out_of_scope === true);
}

function byConfidence(a: Cell, b: Cell): number {
  return a.confidence - b.confidence || a.id - b.id;
}

function renderTile(cell: Cell): void {
  const tile = tiles.get(cell.id)!;
  tile.classList.toggle('reviewed', cell.label !== null);
  tile.classList.toggle('corrected', cell.label !== null && cell.label !== cell.prediction);
  tile.classList.toggle('selected', selected.has(cell.id));
  tile.classList.toggle('focused', order[focused] === cell.id);
  tile.querySelector('.label')!.textContent = cell.label === null ? '' : `→ ${cell.label}`;
}

function makeTile(cell: Cell): HTMLElement {
  const tile = element('figure', '', 'tile');
  tile.dataset.id = String(cell.id);
  tile.tabIndex = -1;
  const image = element('img');
  image.src = `/api/cells/${cell.id}/image`;
  image.alt = cell.file;
  image.loading = 'lazy';
  const caption = element('figcaption');
  caption.append(element('span', cell.prediction, 'prediction'), element('span', percent(cell.confidence * 100, 0), 'confidence'));
  if (cell.out_of_scope) caption.append(element('span', 'out of scope', 'flag'));
  tile.append(image, caption, element('div', '', 'label'));
  tile.addEventListener('click', (event) => {
    const index = order.indexOf(cell.id);
    if (event.ctrlKey || event.metaKey || event.shiftKey) toggleSelected(cell.id);
    moveFocus(index);
  });
  tiles.set(cell.id, tile);
  return tile;
}

function renderGallery(): void {
  const gallery = byId('gallery');
  gallery.replaceChildren();
  tiles.clear();
  const all = [...cells.values()];
  const groups: [string, Cell[]][] = [['Needs review', all.filter(inQueue).sort(byConfidence)]];
  for (const name of info.classes) groups.push([name, all.filter((c) => !inQueue(c) && c.prediction === name).sort(byConfidence)]);
  order = [];
  for (const [title, members] of groups) {
    if (members.length === 0) continue;
    const section = element('section', '', 'group');
    section.dataset.group = title;
    section.append(element('h2', `${title} (${members.length})`));
    const grid = element('div', '', 'grid');
    for (const cell of members) {
      grid.append(makeTile(cell));
      order.push(cell.id);
    }
    section.append(grid);
    gallery.append(section);
  }
  focused = Math.min(focused, Math.max(order.length - 1, 0));
  for (const cell of cells.values()) renderTile(cell);
  showDetail();
}

function showDetail(): void {
  const detail = byId('detail');
  const cell = cells.get(order[focused]);
  detail.replaceChildren();
  if (!cell) return;
  const image = element('img', '', 'large');
  image.src = `/api/cells/${cell.id}/image`;
  image.alt = cell.file;
  detail.append(image, element('p', cell.file, 'file'));
  detail.append(element('p', cell.label === null ? 'not reviewed' : `reviewed: ${cell.label} (${cell.reviewed_by ?? ''})`, 'state'));
  const list = element('ol', '', 'probabilities');
  info.classes.forEach((name, i) => {
    const item = element('li');
    const meter = element('meter');
    meter.value = cell.probabilities[i];
    item.append(element('span', `${i + 1} ${name}`), meter, element('span', percent(cell.probabilities[i] * 100), 'number'));
    list.append(item);
  });
  detail.append(list);
}

function moveFocus(index: number): void {
  if (order.length === 0) return;
  const previous = order[focused];
  focused = Math.max(0, Math.min(order.length - 1, index));
  for (const id of [previous, order[focused]]) if (cells.has(id)) renderTile(cells.get(id)!);
  const tile = tiles.get(order[focused])!;
  tile.focus({ preventScroll: true });
  tile.scrollIntoView({ block: 'nearest' });
  showDetail();
}

/** The tile above or below: the nearest in the next row up or down, by horizontal distance. */
function verticalNeighbour(direction: 1 | -1): number {
  const here = tiles.get(order[focused])!.getBoundingClientRect();
  let best = focused;
  let bestScore = Infinity;
  order.forEach((id, index) => {
    const box = tiles.get(id)!.getBoundingClientRect();
    const dy = (box.top - here.top) * direction;
    if (dy <= 1) return;
    const score = dy * 10_000 + Math.abs(box.left - here.left);
    if (score < bestScore) [best, bestScore] = [index, score];
  });
  return best;
}

function toggleSelected(id: number): void {
  if (selected.has(id)) selected.delete(id);
  else selected.add(id);
  renderTile(cells.get(id)!);
}

function clearSelection(): void {
  const ids = [...selected];
  selected.clear();
  for (const id of ids) renderTile(cells.get(id)!);
}

async function refreshDifferential(): Promise<void> {
  const differential = await api('GET /api/differential');
  const holder = byId('differential');
  holder.replaceChildren(differentialTable(differential));
  holder.append(element('p', `${differential.reviewed} of ${differential.cells} reviewed; ${differential.needs_review_pending} flagged cells still to review`, 'summary'));
}

/** Sends one label for many cells; the page shows it only once the server has committed it. */
async function setLabel(ids: number[], label: string | null): Promise<void> {
  const answer = await api('PUT /api/cells', { ids, label, reviewer: reviewer() || undefined });
  for (const cell of answer.cells) {
    cells.set(cell.id, cell);
    renderTile(cell);
  }
}

async function assign(label: string | null): Promise<void> {
  if (frozen()) return say('The review is signed off; it can no longer change.', true);
  const ids = selected.size > 0 ? [...selected] : [order[focused]];
  const before: [number, string | null][] = ids.map((id) => [id, cells.get(id)!.label]);
  await setLabel(ids, label);
  undoStack.push({ before });
  const single = selected.size === 0;
  clearSelection();
  say(`${ids.length} cell${ids.length === 1 ? '' : 's'} → ${label ?? 'unreviewed'}`);
  if (single) moveFocus(focused + 1);
  else showDetail();
  await refreshDifferential();
}

async function undo(): Promise<void> {
  const change = undoStack.pop();
  if (!change) return say('Nothing to undo.');
  const byLabel = new Map<string | null, number[]>();
  for (const [id, label] of change.before) byLabel.set(label, [...(byLabel.get(label) ?? []), id]);
  for (const [label, ids] of byLabel) await setLabel(ids, label);
  say(`Undone: ${change.before.length} cell${change.before.length === 1 ? '' : 's'} restored`);
  showDetail();
  await refreshDifferential();
}

function labelForKey(event: KeyboardEvent): string | null | undefined {
  if (/^[1-9]$/.test(event.key)) return info.classes[Number(event.key) - 1];
  if (BIN_KEYS[event.key]) return BIN_KEYS[event.key];
  if (event.key === 'Enter') return cells.get(order[focused])?.prediction;
  if (event.key === 'Backspace' || event.key === 'Delete' || event.key === '0') return null;
  return undefined;
}

async function onKey(event: KeyboardEvent): Promise<void> {
  if ((event.target as HTMLElement).tagName === 'INPUT' || event.altKey || order.length === 0) return;
  const extend = (index: number) => {
    if (event.shiftKey) {
      selected.add(order[focused]);
      selected.add(order[index]);
      for (const id of [order[focused], order[index]]) renderTile(cells.get(id)!);
    }
    moveFocus(index);
  };
  const key = event.key;
  if (key === 'ArrowRight') extend(focused + 1);
  else if (key === 'ArrowLeft') extend(focused - 1);
  else if (key === 'ArrowDown') extend(verticalNeighbour(1));
  else if (key === 'ArrowUp') extend(verticalNeighbour(-1));
  else if (key === ' ') toggleSelected(order[focused]);
  else if (key === 'Escape') clearSelection();
  else if (key === 'z' && !event.shiftKey) await run(undo);
  else if (!event.ctrlKey && !event.metaKey) {
    const label = labelForKey(event);
    if (label === undefined) return;
    event.preventDefault();
    await run(() => assign(label));
    return;
  } else return;
  event.preventDefault();
}

/** One change at a time, in the order pressed; errors go to the message line. */
async function run(work: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    await work();
  } catch (error) {
    say((error as Error).message, true);
  } finally {
    busy = false;
  }
}

function showSignOff(signOff: SignOff | null): void {
  info.sign_off = signOff;
  document.body.classList.toggle('signed-off', signOff !== null);
  byId<HTMLButtonElement>('sign-off').disabled = signOff !== null;
  byId('signed').textContent = signOff ? `Signed off by ${signOff.name} at ${new Date(signOff.at).toLocaleString()}` : '';
}

async function signOff(): Promise<void> {
  const name = reviewer();
  if (!name) {
    byId('reviewer').focus();
    return say('Type your name first.', true);
  }
  if (!window.confirm(`Sign off this differential as ${name}? It can no longer change afterwards.`)) return;
  showSignOff(await api('POST /api/sign-off', { name }));
  say('Signed off. The report opens in a new tab.');
  window.open('/report', '_blank');
}

async function exportFolder(): Promise<void> {
  const result = await api('POST /api/export/labelled-folder', {});
  say(`Exported ${result.images} reviewed images to ${result.folder}`);
}

async function start(): Promise<void> {
  const name = byId<HTMLInputElement>('reviewer');
  name.value = localStorage.getItem(REVIEWER_KEY) ?? '';
  name.addEventListener('change', () => localStorage.setItem(REVIEWER_KEY, name.value.trim()));
  byId('sign-off').addEventListener('click', () => void run(signOff));
  byId('export-folder').addEventListener('click', () => void run(exportFolder));
  info = await api('GET /api/info');
  document.title = `${info.title} · WBC review`;
  byId('title').textContent = info.title;
  byId('keys').textContent = `Keys: arrows move · ${info.classes.map((c, i) => `${i + 1} ${c}`).join(' · ')} · `
    + `${Object.entries(BIN_KEYS).map(([k, bin]) => `${k} ${bin}`).join(' · ')} · Enter confirm · 0 clear · `
    + 'Space or Ctrl-click select · Shift+arrows extend · Esc deselect · z undo';
  showSignOff(info.sign_off);
  await waitForClassification();
  for (const cell of await api('GET /api/cells')) cells.set(cell.id, cell);
  renderGallery();
  await refreshDifferential();
  document.addEventListener('keydown', (event) => void onKey(event));
  document.body.dataset.ready = 'true';
}

start().catch((error: Error) => say(error.message, true));
