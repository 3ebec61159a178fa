import sharp from 'sharp';
import type { SchemeScores } from '../classifier/evaluate-folder';
import type { EvaluatedImage } from '../evaluate/evaluated-csv';
import type { Metrics } from '../evaluate/metrics';
import { formatNonWhiteCrossings, type NonWhiteCrossings } from '../evaluate/non-white-crossings';
import type { SchemeDefinition } from '../scheme/scheme';
import { trainingPrecision, type ModelInfo } from '../model/model-folder';
import { defaultScoring } from '../trust/trust-model';
import { escapeMarkup } from '../util/markup';
import { htmlTable } from './html';
import { lineChart } from './line-chart';
import { reliabilitySection } from './reliability';

export interface ReportData {
  info: ModelInfo;
  modelDir: string;
  /** Scores on the labelled folder, else the model's own test scores. */
  metrics?: Metrics;
  /** What the metrics were computed on, in words. */
  scoredOn: string;
  /** The scored images, when a labelled folder was given: the misclassified ones become thumbnails. */
  images?: readonly EvaluatedImage[];
  /** Every warning the command printed about these scores, shown at the top of the page. */
  warnings: readonly string[];
  /** How the labelled folder was scored (views, review threshold); absent: the model's defaults are shown. */
  scoring?: { views: string; reviewThreshold: number };
  /** A reporting scheme other than nine (`--scheme`): its categories and their scores on the labelled folder. */
  scheme?: { definition: SchemeDefinition; scores: SchemeScores };
  /** For a model with non-white kinds: how often answers crossed between white and non-white cells. */
  nonWhite?: NonWhiteCrossings;
}

/** The views and review threshold a report names: those the folder was scored with, else the model's defaults. */
export function reportScoring(data: ReportData): { views: string; reviewThreshold: number } {
  return data.scoring ?? defaultScoring(data.info);
}

/** Thumbnails per confusion-matrix cell, and in all: the file stays small whatever the folder's size. */
const THUMBNAILS_PER_CELL = 24;
const THUMBNAILS_IN_ALL = 600;
const THUMBNAIL_SIZE = 64;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; overflow-wrap: anywhere; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; overflow-wrap: anywhere; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.warnings { background: #fff4e0; border: 1px solid #e6a23c; border-left: 6px solid #e65100; padding: 0.5rem 1rem; margin: 1rem 0; }
.warnings h2 { margin: 0; border: 0; color: #a33b00; }
.warnings ul { margin: 0.3rem 0; padding-left: 1.2rem; max-height: 14rem; overflow-y: auto; }
.wide { max-width: 100%; overflow-x: auto; }
table.confusion td { min-width: 2.6rem; height: 2.4rem; padding: 0 4px; text-align: center; border: 1px solid #fff; font-variant-numeric: tabular-nums; }
table.confusion td a { display: block; color: inherit; text-decoration: none; }
table.confusion thead th { vertical-align: bottom; }
table.confusion th.row { text-align: right; white-space: nowrap; }
/* Column names run upwards, so the matrix is as narrow as its numbers whatever the class names. */
table.confusion th.column { padding: 4px 0; }
table.confusion th.column span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; margin: 0 auto; display: block; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; max-width: 100%; }
figure.chart figcaption { font-weight: bold; }
figure.chart svg { width: 100%; height: auto; display: block; }
.misclassified { display: none; } .misclassified:target { display: block; }
.thumbs { display: flex; flex-wrap: wrap; gap: 6px; }
.thumbs figure { margin: 0; font-size: 11px; width: ${THUMBNAIL_SIZE + 20}px; overflow-wrap: anywhere; }
.thumbs img { width: ${THUMBNAIL_SIZE}px; height: ${THUMBNAIL_SIZE}px; display: block; }
.muted { color: #666; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  /* The heatmap and the warning box carry meaning in their colours. */
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  h2, h3 { break-after: avoid; }
  table, figure, .warnings { break-inside: avoid; }
  .warnings ul { max-height: none; overflow: visible; }
  .wide { overflow: visible; }
  .charts figure.chart { max-width: calc(50% - 0.5rem); }
}
`;

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function settingsSection(data: ReportData): string {
  const { info } = data;
  const training = info.training;
  const rows: [string, string][] = [
    ['model folder', data.modelDir],
    ['created', info.createdAt ?? 'not recorded'],
    ['classes', info.classes.join(', ')],
    ['network', `widths ${info.network.widths.join('-')}, ${info.network.convsPerStage} convolutions per stage, dropout ${info.network.dropout}`],
    ['input', `${info.input.inputSize} px seen of ${info.input.storedSize} px stored`],
    ['test-time views', reportScoring(data).views],
    ['review threshold', String(reportScoring(data).reviewThreshold)],
  ];
  if (training) {
    rows.push(
      ['epochs', `${training.history.length} run of ${training.epochs}; weights of epoch ${training.keptEpoch} kept`],
      ['batch size, learning rate, weight decay', `${training.batchSize}, ${training.learningRate}, ${training.weightDecay}`],
      ['label smoothing, balance', `${training.labelSmoothing}, ${training.balance}`],
      ['training time', `${training.seconds.toFixed(0)} s on ${training.threads} threads in ${trainingPrecision(training)} (LibTorch ${training.libtorch})`],
    );
  }
  const table = htmlTable(['setting', 'value'], rows.map(([k, v]) => [escapeMarkup(k), escapeMarkup(v)]));
  const counts = info.data?.imagesPerClass;
  const split = info.split;
  const dataTable = counts
    ? htmlTable(['class', 'images'], Object.entries(counts).map(([name, count]) => [escapeMarkup(name), `<span class="n">${count}</span>`]))
    : '<p class="muted">The model does not record its data.</p>';
  const splitText = split
    ? `<p>Split (seed ${split.seed}): ${split.train.length} training, ${split.validation.length} validation, ${split.test.length} test images.</p>`
    : '';
  return `<h2 id="settings">Settings</h2>\n${table}\n<h2 id="data">Data</h2>\n${info.data?.root ? `<p>${escapeMarkup(info.data.root)}</p>` : ''}${dataTable}\n${splitText}`;
}

function curvesSection(info: ModelInfo): string {
  const history = info.training?.history ?? [];
  if (history.length === 0) return '<h2 id="curves">Training curves</h2>\n<p class="muted">The model records no training history.</p>';
  const maxLoss = Math.max(...history.map((h) => h.loss));
  const loss = lineChart('Training loss', [{ name: 'loss', colour: '#c62828', values: history.map((h) => h.loss) }], 0, maxLoss, (v) => v.toFixed(2));
  const accuracy = lineChart('Accuracy', [
    { name: 'training', colour: '#1565c0', values: history.map((h) => h.trainAccuracy) },
    { name: 'validation', colour: '#2e7d32', values: history.map((h) => h.validationAccuracy) },
  ], 0, 1, (v) => percent(v));
  return `<h2 id="curves">Training curves</h2>\n<div class="charts">${loss}\n${accuracy}</div>`;
}

function perClassSection(metrics: Metrics, scoredOn: string): string {
  const rows = metrics.classes.map((name) => {
    const m = metrics.perClass[name];
    return [escapeMarkup(name), ...[m.precision, m.recall, m.f1].map((v) => `<span class="n">${v.toFixed(3)}</span>`), `<span class="n">${m.support}</span>`];
  });
  return `<h2 id="scores">Scores on ${escapeMarkup(scoredOn)}</h2>\n`
    + `<p>Accuracy <b>${percent(metrics.accuracy)}</b>, balanced accuracy ${percent(metrics.balancedAccuracy)}, macro-F1 ${metrics.macroF1.toFixed(3)}.</p>\n`
    + htmlTable(['class', 'precision', 'recall', 'F1', 'support'], rows, 'per-class');
}

/**
 * The reporting scheme: each category with its classes, LOINC code and scores; the accuracy at its level;
 * its review threshold (fitted on the model's calibration scores) and what it did on these images.
 */
function schemeSection(scheme: NonNullable<ReportData['scheme']>, scoredOn: string): string {
  const { metrics, trust } = scheme.scores;
  const rows = scheme.definition.categories.map((category) => {
    const m = metrics.perClass[category.name];
    return [escapeMarkup(category.name), escapeMarkup(category.classes.join(' + ')), escapeMarkup(category.loinc ?? ''),
      ...[m.precision, m.recall, m.f1].map((v) => `<span class="n">${v.toFixed(3)}</span>`), `<span class="n">${m.support}</span>`];
  });
  const review = trust.review;
  return `<h2 id="scheme">Reporting scheme ${escapeMarkup(scheme.scores.name)} on ${escapeMarkup(scoredOn)}</h2>\n`
    + '<p>A cell is right when its most probable category (the sum of its classes\' calibrated probabilities) holds its true class.</p>\n'
    + `<p>Accuracy <b>${percent(metrics.accuracy)}</b>, balanced accuracy ${percent(metrics.balancedAccuracy)}, macro-F1 ${metrics.macroF1.toFixed(3)}. `
    + `Review threshold <b>${review.threshold.toFixed(4)}</b> on the category confidence: ${percent(review.flagged)} of cells flagged `
    + `(${percent(review.outOfScope)} out of scope), ${percent(review.acceptedAccuracy)} of the ${review.accepted} accepted right `
    + `(95% upper bound of their error ${percent(review.acceptedErrorUpperBound)}).</p>\n`
    + htmlTable(['category', 'classes', 'LOINC', 'precision', 'recall', 'F1', 'support'], rows, 'per-category');
}

/** For a model with non-white kinds: white cells called non-white, and the reverse (with and without a review flag). */
function nonWhiteSection(crossings: NonWhiteCrossings): string {
  return '<h2 id="non-white">Cells that are not white cells</h2>\n'
    + formatNonWhiteCrossings(crossings).split('\n').map((line) => `<p>${escapeMarkup(line)}</p>`).join('\n');
}

/** The command's warnings, first on the page: a report shared without them would overstate the scores. */
function warningsSection(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  const items = warnings.map((warning) => `<li>${escapeMarkup(warning)}</li>`).join('\n');
  return `<section id="warnings" class="warnings" role="note"><h2>Warnings (${warnings.length})</h2>\n<ul>\n${items}\n</ul></section>`;
}

function heatColour(fraction: number): string {
  const channel = (light: number, dark: number): number => Math.round(light + (dark - light) * fraction);
  return `rgb(${channel(255, 8)},${channel(255, 48)},${channel(255, 107)})`;
}

/** An id for the section of misclassified images of true class t predicted as p. */
function cellAnchor(t: number, p: number): string {
  return `misclassified-${t}-${p}`;
}

async function thumbnail(file: string): Promise<string | undefined> {
  try {
    const jpeg = await sharp(file).resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'cover' }).jpeg({ quality: 70 }).toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return undefined;
  }
}

/**
 * The confusion matrix as a heatmap (row-normalised colour, counts shown); an off-diagonal cell links to
 * a section with the thumbnails of its misclassified images, shown when targeted (no script needed).
 */
async function confusionSection(metrics: Metrics, images: readonly EvaluatedImage[] | undefined): Promise<string> {
  const classes = metrics.classes;
  const header = `<tr><th>true \\ predicted</th>${classes.map((c) => `<th class="column"><span>${escapeMarkup(c)}</span></th>`).join('')}</tr>`;
  const body = metrics.confusionMatrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((count, p) => {
      const fraction = total === 0 ? 0 : count / total;
      const colour = fraction > 0.5 ? '#fff' : '#222';
      const linked = images && t !== p && count > 0;
      const content = linked ? `<a href="#${cellAnchor(t, p)}">${count}</a>` : String(count);
      return `<td style="background:${heatColour(fraction)};color:${colour}" title="${escapeMarkup(`${classes[t]} → ${classes[p]}: ${count}`)}">${content}</td>`;
    });
    return `<tr><th class="row">${escapeMarkup(classes[t])}</th>${cells.join('')}</tr>`;
  });
  const parts = [`<h2 id="confusion">Confusion matrix</h2>`, '<p>Rows: true class; columns: prediction; colour: share of the row.'
    + (images ? ' Click an off-diagonal count to see its images.' : '') + '</p>',
  `<div class="wide"><table class="confusion"><thead>${header}</thead><tbody>${body.join('\n')}</tbody></table></div>`];
  if (images) {
    let budget = THUMBNAILS_IN_ALL;
    for (let t = 0; t < classes.length; t += 1) {
      for (let p = 0; p < classes.length; p += 1) {
        if (t === p) continue;
        const wrong = images.filter((image) => image.truth === classes[t] && image.prediction === classes[p]);
        if (wrong.length === 0) continue;
        const shown = wrong.slice(0, Math.max(0, Math.min(THUMBNAILS_PER_CELL, budget)));
        budget -= shown.length;
        const figures: string[] = [];
        for (const image of shown) {
          const source = await thumbnail(image.path);
          if (source) figures.push(`<figure><img src="${source}" alt="${escapeMarkup(image.file)}"><figcaption>${escapeMarkup(image.file)} (${percent(image.confidence)})</figcaption></figure>`);
        }
        const more = wrong.length > shown.length ? `<p class="muted">and ${wrong.length - shown.length} more</p>` : '';
        parts.push(`<section class="misclassified" id="${cellAnchor(t, p)}"><h3>${escapeMarkup(classes[t])} predicted as ${escapeMarkup(classes[p])} (${wrong.length})</h3>`
          + `<div class="thumbs">${figures.join('')}</div>${more}</section>`);
      }
    }
  }
  return parts.join('\n');
}

/**
 * One self-contained HTML page about a model: settings, data, training curves, per-class scores and the
 * confusion matrix with thumbnails of its mistakes. No script and no request to anywhere: images are inlined.
 */
export async function modelReportHtml(data: ReportData): Promise<string> {
  const { info, metrics } = data;
  const sections = [settingsSection(data), curvesSection(info)];
  if (metrics) sections.push(perClassSection(metrics, data.scoredOn), await confusionSection(metrics, data.images));
  else sections.push('<h2 id="scores">Scores</h2>\n<p class="muted">The model records no test scores; give a labelled folder to score it.</p>');
  if (data.scheme) sections.push(schemeSection(data.scheme, data.scoredOn));
  if (data.nonWhite) sections.push(nonWhiteSection(data.nonWhite));
  sections.push(reliabilitySection(info, data.images, reportScoring(data).reviewThreshold));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Model report: ${escapeMarkup(data.modelDir)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Model report: ${escapeMarkup(data.modelDir)}</h1>
${warningsSection(data.warnings)}
${sections.join('\n')}
</body>
</html>
`;
}
