import { api, differentialTable, element, isoWithOffset, linkReview, percent, reviewUrl, showRecordChecks, type Cell, type Info, type SignOff } from './api.js';
import { setUpComments } from './comments.js';
import { undoStackFromAudit, type Change } from './undo-history.js';

/**
 * The gallery page: a needs-review queue, then one group per label (the reviewed label, else the
 * prediction), most uncertain first. The gallery takes keys only while it has the focus.
 */

const BIN_KEYS: Record<string, string> = { u: 'unidentified', s: 'smudge', a: 'artefact', o: 'other cell' };
/** Letters the gallery uses for something else: a non-white kind's key is never one of them. */
const RESERVED_KEYS = new Set([...Object.keys(BIN_KEYS), 'z']);
const REVIEWER_KEY = 'wbc-reviewer';
const TILE_SIZE_KEY = 'wbc-tile-size';
/** Tile widths in CSS pixels; 160 by default, enough to tell a band from a segmented neutrophil. */
const TILE_SIZES = [120, 140, 160, 200, 240, 300];
const DEFAULT_TILE_SIZE = 160;

let info: Info;
/** Each label key and its class: `1`–`9` the white classes in the model's order, a letter for each non-white kind. */
let classKeys = new Map<string, string>();
const cells = new Map<number, Cell>();
/** Cell ids in display order, fixed once loaded so that tiles never jump while someone works. */
let order: number[] = [];
const tiles = new Map<number, HTMLElement>();
let focused = 0;
const selected = new Set<number>();
let undoStack: Change[] = [];
/** Changes and moves run one after another, in the order pressed: none is dropped while one is in flight. */
let queue: Promise<void> = Promise.resolve();

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const comments = setUpComments({
  focusedCell: () => cells.get(order[focused]),
  reviewer: () => reviewer(),
  frozen: () => frozen(),
  updated: (cell) => {
    cells.set(cell.id, cell);
    renderTile(cell);
    showDetail();
  },
  backToGallery: () => moveFocus(focused, true),
  say: (text, isError) => say(text, isError),
});
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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

/** Runs `work` after everything queued before it; its error goes to the message line. */
function enqueue(work: () => unknown): void {
  queue = queue.then(async () => {
    await work();
  }).catch((error: Error) => say(error.message, true));
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

const NEEDS_REVIEW = 'Needs review';

/**
 * The keys that label a cell: `1`–`9` for the white classes, then for each non-white kind the first
 * letter of its name that no other key uses (erythroblasts `e`, platelets `p`).
 */
function labelKeys(classes: readonly string[], nonWhite: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  classes.filter((name) => !nonWhite.includes(name)).slice(0, 9).forEach((name, i) => keys.set(String(i + 1), name));
  for (const kind of nonWhite) {
    const key = [...kind.toLowerCase()].find((letter) => /^[a-z]$/.test(letter) && !RESERVED_KEYS.has(letter) && !keys.has(letter));
    if (key) keys.set(key, kind);
  }
  return keys;
}

function keyOf(name: string): string | undefined {
  return [...classKeys].find(([, label]) => label === name)?.[0];
}

/** The scheme's category of a class (the class itself under nine). */
function categoryOf(className: string): string {
  return info.scheme.categories.find((category) => category.classes.includes(className))?.name ?? className;
}

/**
 * Where a cell sits when the page loads: under its reviewed label's category (or its bin), in the queue
 * while flagged, else under the category it was classified in.
 */
function groupOf(cell: Cell): string {
  if (cell.label !== null) return info.bins.includes(cell.label) ? cell.label : categoryOf(cell.label);
  return cell.needs_review || cell.out_of_scope === true ? NEEDS_REVIEW : cell.group;
}

/** The gallery's groups in order: the queue, the white-cell categories, the non-white kinds' categories, the bins. */
function groupTitles(): string[] {
  const nonWhite = (name: string) => info.scheme.categories.find((category) => category.name === name)!.classes.every((c) => info.non_white.includes(c));
  const categories = info.scheme.categories.map((category) => category.name);
  return [NEEDS_REVIEW, ...categories.filter((name) => !nonWhite(name)), ...categories.filter(nonWhite), ...info.bins];
}

function byConfidence(a: Cell, b: Cell): number {
  return a.group_confidence - b.group_confidence || a.id - b.id;
}

function renderTile(cell: Cell): void {
  const tile = tiles.get(cell.id)!;
  tile.classList.toggle('reviewed', cell.label !== null);
  tile.classList.toggle('corrected', cell.label !== null && cell.label !== cell.prediction);
  tile.classList.toggle('selected', selected.has(cell.id));
  tile.classList.toggle('focused', order[focused] === cell.id);
  tile.tabIndex = order[focused] === cell.id ? 0 : -1;
  tile.setAttribute('aria-selected', String(selected.has(cell.id)));
  tile.querySelector('.label')!.textContent = cell.label === null ? '' : `→ ${cell.label}`;
  tile.classList.toggle('commented', cell.comment !== null);
  tile.title = cell.comment ?? '';
}

function makeTile(cell: Cell): HTMLElement {
  const tile = element('figure', '', 'tile');
  tile.dataset.id = String(cell.id);
  tile.tabIndex = -1;
  const image = element('img');
  image.src = reviewUrl(`/api/cells/${cell.id}/image`);
  image.alt = cell.file;
  image.loading = 'lazy';
  const caption = element('figcaption');
  caption.append(element('span', cell.prediction, 'prediction'), element('span', percent(cell.confidence * 100, 0), 'confidence'));
  if (cell.out_of_scope) caption.append(element('span', 'out of scope', 'flag'));
  tile.append(image, caption, element('div', '', 'label'));
  tile.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) toggleSelected(cell.id);
    moveFocus(order.indexOf(cell.id), true);
  });
  tiles.set(cell.id, tile);
  return tile;
}

function renderGallery(): void {
  const gallery = byId('gallery');
  gallery.replaceChildren();
  tiles.clear();
  const all = [...cells.values()];
  order = [];
  for (const title of groupTitles()) {
    const members = all.filter((c) => groupOf(c) === title).sort(byConfidence);
    if (members.length === 0) continue;
    const section = element('section', '', 'group');
    section.dataset.group = title;
    const apart = info.non_white.includes(title) ? ' · not white cells, not in the differential' : '';
    section.append(element('h2', `${title} (${members.length})${apart}`));
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
  image.src = reviewUrl(`/api/cells/${cell.id}/image`);
  image.alt = cell.file;
  detail.append(image, element('p', cell.file, 'file'));
  detail.append(element('p', cell.label === null ? 'not reviewed' : `reviewed: ${cell.label} (${cell.reviewed_by ?? ''})`, 'state'));
  const list = element('ol', '', 'probabilities');
  info.classes.forEach((name, i) => {
    const item = element('li');
    const meter = element('meter');
    meter.value = cell.probabilities[i];
    const key = keyOf(name);
    item.append(element('span', key ? `${key} ${name}` : name), meter, element('span', percent(cell.probabilities[i] * 100), 'number'));
    list.append(item);
  });
  detail.append(list);
  if (cell.comment !== null) detail.append(element('p', `Comment (${cell.comment_by ?? ''}): ${cell.comment}`, 'comment'));
  comments.show(cell);
}

/** Moves the focused tile; the browser's focus follows it while it is in the gallery (or nowhere), or when asked. */
function moveFocus(index: number, takeFocus = false): void {
  if (order.length === 0) return;
  const previous = order[focused];
  focused = Math.max(0, Math.min(order.length - 1, index));
  for (const id of [previous, order[focused]]) if (cells.has(id)) renderTile(cells.get(id)!);
  const tile = tiles.get(order[focused])!;
  const active = document.activeElement;
  if (takeFocus || active === null || active === document.body || byId('gallery').contains(active)) tile.focus({ preventScroll: true });
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
  const answer = await api('PUT /api/cells', { ids, label, reviewer: reviewer() });
  for (const cell of answer.cells) {
    cells.set(cell.id, cell);
    renderTile(cell);
  }
}

/**
 * Sets each cell's label to `labelOf(cell)`, one request per distinct label, recording in `done` what each
 * request changed (so that a failure halfway leaves `done` true to what happened).
 */
async function setLabels(ids: number[], labelOf: (cell: Cell) => string | null, done: Change): Promise<void> {
  const byLabel = new Map<string | null, number[]>();
  for (const id of ids) {
    const label = labelOf(cells.get(id)!);
    byLabel.set(label, [...(byLabel.get(label) ?? []), id]);
  }
  for (const [label, group] of byLabel) {
    const before = group.map((id) => [id, cells.get(id)!.label] as const);
    await setLabel(group, label);
    for (const [id, old] of before) {
      done.before.set(id, old);
      done.after.set(id, label);
    }
  }
}

const noChange = (): Change => ({ before: new Map(), after: new Map() });

/** Labels the selection, or else the focused cell, then moves on to the next cell. */
async function assign(labelOf: (cell: Cell) => string | null, what: string): Promise<void> {
  if (frozen()) return say('The review is signed off; it can no longer change.', true);
  if (!reviewer()) return say('Type your name in Reviewer first: every change records who made it.', true);
  const single = selected.size === 0;
  const ids = single ? [order[focused]] : [...selected];
  const done = noChange();
  try {
    await setLabels(ids, labelOf, done);
  } finally {
    if (done.before.size > 0) undoStack.push(done);
  }
  clearSelection();
  say(`${plural(ids.length, 'cell')} → ${what}`);
  if (single) moveFocus(focused + 1);
  else showDetail();
  await refreshDifferential();
}

/** Puts back the labels the last change replaced; if that fails, the change stays on the stack to retry. */
async function undo(): Promise<void> {
  if (frozen()) return say('The review is signed off; it can no longer change.', true);
  if (!reviewer()) return say('Type your name in Reviewer first: every change records who made it.', true);
  const last = undoStack.pop();
  if (!last) return say('Nothing to undo.');
  try {
    await setLabels([...last.before.keys()], (cell) => last.before.get(cell.id)!, noChange());
  } catch (error) {
    undoStack.push(last);
    throw error;
  }
  say(`Undone: ${plural(last.before.size, 'cell')} restored`);
  showDetail();
  await refreshDifferential();
}

/** What a key does to the labels, or undefined for a key that sets none. */
function labelAction(key: string): [(cell: Cell) => string | null, string] | undefined {
  const label = classKeys.get(key);
  if (label !== undefined) return [() => label, label];
  if (BIN_KEYS[key]) return [() => BIN_KEYS[key], BIN_KEYS[key]];
  if (key === 'Enter') return [(cell) => cell.prediction, 'each its prediction'];
  if (key === 'Backspace' || key === 'Delete' || key === '0') return [() => null, 'unreviewed'];
  return undefined;
}

/** Moves focus (Shift extends the selection over both ends). */
function move(to: () => number, extend: boolean): void {
  const index = to();
  if (extend) {
    for (const id of [order[focused], order[index]]) {
      selected.add(id);
      renderTile(cells.get(id)!);
    }
  }
  moveFocus(index);
}

/** The gallery's keys; decided now (so the browser's default is stopped now), applied in turn. */
function onGalleryKey(event: KeyboardEvent): void {
  if (event.altKey || event.ctrlKey || event.metaKey || order.length === 0) return;
  const extend = event.shiftKey;
  const moves: Record<string, () => number> = {
    ArrowRight: () => focused + 1,
    ArrowLeft: () => focused - 1,
    ArrowDown: () => verticalNeighbour(1),
    ArrowUp: () => verticalNeighbour(-1),
    Home: () => 0,
    End: () => order.length - 1,
  };
  const key = event.key;
  let work: (() => unknown) | undefined;
  if (moves[key]) work = () => move(moves[key], extend);
  else if (key === ' ') work = () => toggleSelected(order[focused]);
  else if (key === 'Escape') work = clearSelection;
  else if (key === 'z' && !extend) work = undo;
  else if (key === 'c' && !extend) work = () => comments.edit();
  else {
    const action = labelAction(key);
    if (action) work = () => assign(...action);
  }
  if (!work) return;
  event.preventDefault();
  enqueue(work);
}

function showSignOff(signOff: SignOff | null): void {
  info.sign_off = signOff;
  document.body.classList.toggle('signed-off', signOff !== null);
  byId<HTMLButtonElement>('sign-off').disabled = signOff !== null;
  byId<HTMLButtonElement>('rescan').disabled = signOff !== null;
  byId('signed').textContent = signOff ? `Signed off by ${signOff.name} at ${isoWithOffset(signOff.at)}` : '';
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
  // Relative: this review's report, at / or under /cases/:case/.
  window.open('report', '_blank');
}

async function exportFolder(): Promise<void> {
  const result = await api('POST /api/export/labelled-folder', {});
  say(`Exported ${result.images} reviewed images to ${result.folder}; train with: wbc train ${result.trainArguments.join(' ')}`);
}

/** The review as the server has it now: the record checks, the cells (gallery regrouped) and the undo history. */
async function loadReview(): Promise<void> {
  const [latest, list, audit] = await Promise.all([api('GET /api/info'), api('GET /api/cells'), api('GET /api/audit')]);
  info = latest;
  showRecordChecks(info);
  cells.clear();
  selected.clear();
  for (const cell of list) cells.set(cell.id, cell);
  undoStack = undoStackFromAudit(audit);
  renderGallery();
  await comments.load();
  await refreshDifferential();
}

/** Rescans the folder: the server classifies what was added or changed, then the gallery is loaded anew. */
async function rescan(): Promise<void> {
  if (frozen()) return say('The review is signed off; it can no longer change.', true);
  say('Rescanning the folder…');
  await api('POST /api/rescan', {});
  await waitForClassification();
  await loadReview();
  say(`Folder rescanned: ${plural(order.length, 'cell')}`);
}

/** The tile size control: − and + step through TILE_SIZES; the choice is remembered in this browser. */
function setUpTileSize(): void {
  const saved = Number(localStorage.getItem(TILE_SIZE_KEY));
  let index = Math.max(0, TILE_SIZES.indexOf(TILE_SIZES.includes(saved) ? saved : DEFAULT_TILE_SIZE));
  const apply = () => {
    document.documentElement.style.setProperty('--tile-size', `${TILE_SIZES[index]}px`);
    byId<HTMLButtonElement>('tile-smaller').disabled = index === 0;
    byId<HTMLButtonElement>('tile-larger').disabled = index === TILE_SIZES.length - 1;
  };
  const step = (by: number) => {
    index = Math.max(0, Math.min(TILE_SIZES.length - 1, index + by));
    localStorage.setItem(TILE_SIZE_KEY, String(TILE_SIZES[index]));
    apply();
    if (order.length > 0) tiles.get(order[focused])!.scrollIntoView({ block: 'nearest' });
  };
  byId('tile-smaller').addEventListener('click', () => step(-1));
  byId('tile-larger').addEventListener('click', () => step(1));
  apply();
}

async function start(): Promise<void> {
  linkReview();
  const name = byId<HTMLInputElement>('reviewer');
  name.value = localStorage.getItem(REVIEWER_KEY) ?? '';
  name.addEventListener('change', () => localStorage.setItem(REVIEWER_KEY, name.value.trim()));
  setUpTileSize();
  byId('sign-off').addEventListener('click', () => enqueue(signOff));
  byId('export-folder').addEventListener('click', () => enqueue(exportFolder));
  byId('rescan').addEventListener('click', () => enqueue(rescan));
  info = await api('GET /api/info');
  showRecordChecks(info);
  document.title = `${info.title} · WBC review`;
  byId('title').textContent = info.title;
  classKeys = labelKeys(info.classes, info.non_white);
  const scheme = info.scheme.name === 'nine' ? '' : `Scheme: ${info.scheme.name} (groups and counts by its categories; keys set the class). `;
  byId('keys').textContent = `${scheme}Keys, once Tab has reached the cells: arrows move · ${[...classKeys].map(([key, name]) => `${key} ${name}`).join(' · ')} · `
    + `${Object.entries(BIN_KEYS).map(([k, bin]) => `${k} ${bin}`).join(' · ')} · Enter confirms each cell's prediction · 0 clear · `
    + 'Space or Ctrl-click select · Shift+arrows extend · Esc deselect · z undo · c comment on the cell (Enter saves, Esc back)';
  showSignOff(info.sign_off);
  await waitForClassification();
  await loadReview();
  byId('gallery').addEventListener('keydown', onGalleryKey);
  document.body.dataset.ready = 'true';
}

start().catch((error: Error) => say(error.message, true));
