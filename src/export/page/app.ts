/**
 * The exported page: images are dropped or picked, classified in a Web Worker (worker.ts), and shown as a
 * table (each image beside its answer) with the differential count and the two CSVs `wbc classify` writes,
 * in the reporting scheme baked into facts.json (`wbc export --scheme`). Nothing leaves the browser.
 * Each answer, flag and count comes from the CLI's own modules (src/classify, src/scheme), compiled for the web.
 */
import { predictionsCsv } from '../../classify/csv.js';
import { differentialCsvFor } from '../../classify/differential-csv.js';
import { toPredictions, type Prediction } from '../../classify/predictions.js';
import { schemeDifferential, type SchemeDifferential } from '../../classify/scheme-differential.js';
import { checkScheme, type Scheme } from '../../scheme/scheme.js';
import type { FromWorker, ModelFacts, PageResult } from './protocol.js';

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
const nonWhiteBody = element<HTMLTableSectionElement>('non-white');
const differentialTitle = element<HTMLHeadingElement>('differential-title');
const download = element<HTMLButtonElement>('download');
const downloadDifferential = element<HTMLButtonElement>('download-differential');

let facts: ModelFacts | undefined;
let scheme: Scheme | undefined;
/**
 * The CLI's answers for the readable images. Without a k-NN out-of-scope check (facts.outOfScope null) the
 * out-of-scope columns stay empty, as the CLI leaves them for a model without a check, and no cell is flagged for it.
 */
let rows: Prediction[] = [];
/** The files sent to the worker, in order: its results come back in the same order, one per file. */
let sent: File[] = [];
/** Object URLs of the files shown in the table, revoked when the table is replaced. */
let thumbnails: string[] = [];

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

function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

function interval(row: { low: number; high: number }): string {
  return `${percent(row.low, 2)}–${percent(row.high, 2)}`;
}

/** The scheme's categories with their exact 95% intervals and class detail, the I/T ratio, and the non-white kinds apart. */
function showDifferential(differential: SchemeDifferential): void {
  differentialTitle.textContent = `Differential count (scheme ${differential.scheme}, ${differential.total} white cells)`;
  differentialBody.replaceChildren();
  const line = (name: string, count: number, share: number, span: string, className = ''): void => {
    const tr = differentialBody.insertRow();
    tr.className = className;
    cell(tr, name);
    cell(tr, String(count));
    cell(tr, differential.total ? `${share.toFixed(1)}%` : '');
    cell(tr, span);
  };
  for (const category of differential.categories) {
    line(category.category, category.count, category.percent, interval(category), 'category');
    const detailed = category.classes.length > 1 || category.classes[0].className !== category.category;
    if (detailed) for (const detail of category.classes) line(detail.className, detail.count, detail.percent, interval(detail), 'detail');
  }
  const ratio = differential.itRatio;
  if (ratio) line(`I/T ratio (${ratio.immature} of ${ratio.lineage})`, ratio.immature, ratio.ratio * 100, interval(ratio), 'ratio');
  nonWhiteBody.replaceChildren();
  for (const kind of differential.nonWhite?.rows ?? []) {
    const tr = nonWhiteBody.insertRow();
    cell(tr, kind.kind);
    cell(tr, String(kind.count));
    const per100 = kind.per100White;
    cell(tr, per100 ? `${per100.value.toFixed(1)} per 100 white cells (95% ${per100.low.toFixed(1)}–${per100.high.toFixed(1)})` : 'counted only');
  }
  document.body.dataset.nonWhite = differential.nonWhite ? 'yes' : 'no';
}

function show(results: PageResult[], seconds: number): void {
  if (!facts || !scheme) return;
  const { classes, schemeReviewThreshold } = facts;
  const unreadable = results.filter((r) => r.probabilities === null);
  const readable = results.flatMap((r, i) => (r.probabilities === null ? [] : [{ result: { ...r, probabilities: r.probabilities }, file: sent[i] }]));
  const probabilities = Float32Array.from(readable.flatMap(({ result }) => result.probabilities));
  const check = facts.outOfScope;
  const outOfScopeScores = check ? Float32Array.from(readable, ({ result }) => result.outOfScopeScore ?? Number.NaN) : null;
  rows = toPredictions(readable.map(({ result }) => result.file), probabilities, classes, schemeReviewThreshold, {
    scheme, outOfScopeScores, outOfScopeThreshold: check?.threshold,
  });
  tableBody.replaceChildren();
  for (const url of thumbnails) URL.revokeObjectURL(url);
  thumbnails = [];
  for (const [i, r] of rows.entries()) {
    const tr = tableBody.insertRow();
    thumbnailCell(tr, readable[i].file);
    cell(tr, r.file);
    cell(tr, r.prediction);
    cell(tr, percent(r.confidence));
    cell(tr, r.group);
    cell(tr, percent(r.groupConfidence));
    cell(tr, r.outOfScope ? 'yes, out of scope' : r.needsReview ? 'yes' : '');
    if (r.needsReview) tr.className = 'review';
  }
  const differential = schemeDifferential(rows, classes, scheme);
  showDifferential(differential);
  const review = rows.filter((r) => r.needsReview).length;
  const rate = seconds > 0 ? ` at ${(rows.length / seconds).toFixed(1)} images/s` : '';
  status.textContent = `Classified ${rows.length} images${rate}; ${review} need review` + (unreadable.length ? `; ${unreadable.length} could not be read: ${unreadable.map((r) => r.file).join(', ')}` : '');
  download.disabled = rows.length === 0;
  downloadDifferential.disabled = rows.length === 0;
  Object.assign(window, { wbcResults: { rows, seconds, unreadable: unreadable.map((r) => r.file), differential } });
  document.body.dataset.state = 'done';
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.kind === 'ready') {
    try {
      scheme = checkScheme(message.facts.scheme, message.facts.classes, message.facts.nonWhite);
    } catch (error) {
      status.textContent = `facts.json's scheme does not fit the model: ${(error as Error).message}`;
      document.body.dataset.state = 'failed';
      return;
    }
    facts = message.facts;
    status.textContent = `Model ready: ${facts.classes.length} classes, ${facts.testTimeViews} view(s) per image, scheme ${scheme.name} (${scheme.categories.length} categories, review below ${percent(facts.schemeReviewThreshold)} category confidence). Drop images or pick them.`;
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
function save(text: string, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

download.addEventListener('click', () => {
  if (facts) save(predictionsCsv(rows, facts.classes), 'predictions.csv');
});
downloadDifferential.addEventListener('click', () => {
  if (facts && scheme) save(differentialCsvFor(rows, facts.classes, scheme, facts.nonWhite), 'predictions-differential.csv');
});
