/**
 * The exported page: images are dropped or picked, classified in a Web Worker (worker.ts), and shown as a
 * table (each image beside its answer) with the differential count and a CSV like `wbc classify` writes. Nothing leaves the browser.
 */
import { predictionRow, predictionsHeader, SCHEME_COLUMNS, schemeFields, type PredictionColumns } from '../../classify/prediction-columns.js';
import type { FromWorker, ModelFacts, PageResult } from './protocol.js';

/** The CLI's answer for one image, less the out-of-scope score, which the page does not compute. */
type Row = Omit<PredictionColumns, 'outOfScopeScore' | 'outOfScope'> & { probabilities: number[] };

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const status = element<HTMLParagraphElement>('status');
const progress = element<HTMLProgressElement>('progress');
const picker = element<HTMLInputElement>('pick');
const drop = element<HTMLDivElement>('drop');
const tableBody = element<HTMLTableSectionElement>('results');
const differentialBody = element<HTMLTableSectionElement>('differential');
const download = element<HTMLButtonElement>('download');

let facts: ModelFacts | undefined;
let rows: Row[] = [];
/** The files sent to the worker, in order: its results come back in the same order, one per file. */
let sent: File[] = [];
/** Object URLs of the files shown in the table, revoked when the table is replaced. */
let thumbnails: string[] = [];

/**
 * The CLI's CSV; the out-of-scope columns stay empty, as the CLI leaves them for a model without that score,
 * and the group columns are the classes' own (the CLI's default scheme, nine).
 */
function csv(classes: string[]): string {
  const line = (r: Row): string => predictionRow({ ...r, outOfScopeScore: null, outOfScope: null }, schemeFields({ group: r.prediction, groupConfidence: r.confidence }));
  return predictionsHeader(classes, SCHEME_COLUMNS) + rows.map(line).join('');
}

/** Top two classes; ties go to the lower class index, as in the CLI. */
function toRow(result: PageResult & { probabilities: number[] }, classes: string[], threshold: number): Row {
  const p = result.probabilities;
  let best = p[1] > p[0] ? 1 : 0;
  let second = 1 - best;
  for (let c = 2; c < p.length; c += 1) {
    if (p[c] > p[best]) { second = best; best = c; } else if (p[c] > p[second]) second = c;
  }
  return { file: result.file, prediction: classes[best], confidence: p[best], second: classes[second], secondConfidence: p[second], needsReview: p[best] < threshold, probabilities: p };
}

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

/** The image itself beside its answer, straight from the file the user gave (it never leaves the browser). */
function thumbnailCell(row: HTMLTableRowElement, file: File): void {
  const url = URL.createObjectURL(file);
  thumbnails.push(url);
  const image = document.createElement('img');
  image.className = 'thumb';
  image.src = url;
  image.alt = file.name;
  image.loading = 'lazy'; // a long table decodes only the images scrolled to
  row.insertCell().append(image);
}

function show(results: PageResult[], seconds: number): void {
  if (!facts) return;
  const { classes, reviewThreshold } = facts;
  const unreadable = results.filter((r) => r.probabilities === null);
  const readable = results.flatMap((r, i) => (r.probabilities === null ? [] : [{ result: { ...r, probabilities: r.probabilities }, file: sent[i] }]));
  rows = readable.map(({ result }) => toRow(result, classes, reviewThreshold));
  tableBody.replaceChildren();
  for (const url of thumbnails) URL.revokeObjectURL(url);
  thumbnails = [];
  for (const [i, r] of rows.entries()) {
    const tr = tableBody.insertRow();
    thumbnailCell(tr, readable[i].file);
    cell(tr, r.file);
    cell(tr, r.prediction);
    cell(tr, `${(r.confidence * 100).toFixed(1)}%`);
    cell(tr, r.needsReview ? 'yes' : '');
    if (r.needsReview) tr.className = 'review';
  }
  differentialBody.replaceChildren();
  for (const name of classes) {
    const count = rows.filter((r) => r.prediction === name).length;
    const tr = differentialBody.insertRow();
    cell(tr, name);
    cell(tr, String(count));
    cell(tr, rows.length ? `${((count / rows.length) * 100).toFixed(1)}%` : '');
  }
  const review = rows.filter((r) => r.needsReview).length;
  const rate = seconds > 0 ? ` at ${(rows.length / seconds).toFixed(1)} images/s` : '';
  status.textContent = `Classified ${rows.length} images${rate}; ${review} need review` + (unreadable.length ? `; ${unreadable.length} could not be read: ${unreadable.map((r) => r.file).join(', ')}` : '');
  download.disabled = rows.length === 0;
  Object.assign(window, { wbcResults: { rows, seconds, unreadable: unreadable.map((r) => r.file) } });
  document.body.dataset.state = 'done';
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.kind === 'ready') {
    facts = message.facts;
    status.textContent = `Model ready: ${facts.classes.length} classes, ${facts.testTimeViews} view(s) per image. Drop images or pick them.`;
    picker.disabled = false;
    document.body.dataset.state = 'ready';
  } else if (message.kind === 'progress') {
    progress.max = message.total;
    progress.value = message.done;
    status.textContent = `Classifying… ${message.done}/${message.total}`;
  } else if (message.kind === 'done') {
    show(message.results, message.seconds);
    picker.disabled = false;
  } else {
    status.textContent = message.message;
    document.body.dataset.state = 'failed';
    picker.disabled = !facts; // a classification failed: try again; the model failed to load: nothing to try
  }
};

function classify(files: FileList | null): void {
  if (!files || files.length === 0 || !facts) return;
  // One set at a time: the results are matched to `sent` by their order.
  if (document.body.dataset.state === 'busy') {
    status.textContent = `Still classifying the ${sent.length} images given before; give these again when it is done.`;
    return;
  }
  document.body.dataset.state = 'busy';
  picker.disabled = true;
  progress.value = 0;
  sent = Array.from(files);
  worker.postMessage({ kind: 'classify', files: sent });
}

picker.addEventListener('change', () => classify(picker.files));
drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  classify(event.dataTransfer?.files ?? null);
});
download.addEventListener('click', () => {
  if (!facts) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv(facts.classes)], { type: 'text/csv' }));
  link.download = 'predictions.csv';
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});
