/**
 * The exported page: images are dropped or picked, classified in a Web Worker (worker.ts), and shown as a
 * table with the differential count and a CSV like `wbc classify` writes. Nothing leaves the browser.
 */
import { csvRow } from '../../util/csv.js';
import type { FromWorker, ModelFacts, PageResult } from './protocol.js';

interface Row {
  file: string;
  prediction: string;
  confidence: number;
  second: string;
  secondConfidence: number;
  needsReview: boolean;
  probabilities: number[];
}

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

function csv(classes: string[]): string {
  // The CLI's columns; the out-of-scope ones stay empty, as the CLI leaves them for a model without that score.
  const lines = [['file', 'prediction', 'confidence', 'second', 'second_confidence', 'needs_review', 'out_of_scope_score', 'out_of_scope', ...classes]];
  for (const r of rows) {
    lines.push([r.file, r.prediction, r.confidence.toFixed(4), r.second, r.secondConfidence.toFixed(4), String(r.needsReview), '', '', ...r.probabilities.map((p) => p.toFixed(4))]);
  }
  return lines.map(csvRow).join('');
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

function show(results: PageResult[], seconds: number): void {
  if (!facts) return;
  const { classes, reviewThreshold } = facts;
  const unreadable = results.filter((r) => r.probabilities === null);
  rows = results.filter((r): r is PageResult & { probabilities: number[] } => r.probabilities !== null).map((r) => toRow(r, classes, reviewThreshold));
  tableBody.replaceChildren();
  for (const r of rows) {
    const tr = tableBody.insertRow();
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
  } else {
    status.textContent = message.message;
    document.body.dataset.state = 'failed';
  }
};

function classify(files: FileList | null): void {
  if (!files || files.length === 0 || !facts) return;
  document.body.dataset.state = 'busy';
  progress.value = 0;
  worker.postMessage({ kind: 'classify', files: Array.from(files) });
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
