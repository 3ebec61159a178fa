import type { EvaluatedImage } from '../evaluate/evaluated-csv';
import type { ModelInfo } from '../model/model-folder';
import { clopperPearsonInterval } from '../trust/binomial-interval';
import { escapeMarkup } from '../util/markup';
import { chartFigure, htmlTable } from './html';

const BINS = 10;
const SIZE = 260;
const LEFT = 44;
const TOP = 14;
const BOTTOM = 36;
const WIDTH = LEFT + SIZE + 16;
const HEIGHT = TOP + SIZE + BOTTOM;

/** model.json's optional `calibration` (written by models with calibrated confidences), read loosely. */
interface CalibrationRecord {
  byViews?: Record<string, { temperature?: number; eceBefore?: number; eceAfter?: number; review?: { threshold?: number; errorUpperBound?: number } }>;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/**
 * A reliability diagram of the scored images: per confidence bin, a bar as high as the share that were
 * right, against the diagonal where that share equals the confidence; under its title.
 */
function reliabilityChart(images: readonly EvaluatedImage[]): string {
  const bins = Array.from({ length: BINS }, () => ({ count: 0, right: 0 }));
  for (const image of images) {
    const bin = bins[Math.min(BINS - 1, Math.floor(image.confidence * BINS))];
    bin.count += 1;
    if (image.correct) bin.right += 1;
  }
  const x = (v: number): number => LEFT + v * SIZE;
  const y = (v: number): number => TOP + (1 - v) * SIZE;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#aaa" stroke-dasharray="4 3"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#888"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#888"/>`,
    `<text x="${LEFT + SIZE / 2}" y="${TOP + SIZE + 28}" text-anchor="middle" font-size="11">confidence</text>`,
    `<text x="${LEFT - 4}" y="${y(1) + 4}" text-anchor="end" font-size="11">100%</text>`,
    `<text x="${LEFT - 4}" y="${y(0)}" text-anchor="end" font-size="11">0%</text>`,
  ];
  bins.forEach((bin, i) => {
    if (bin.count === 0) return;
    const share = bin.right / bin.count;
    parts.push(`<rect class="bin" x="${x(i / BINS) + 1}" y="${y(share)}" width="${SIZE / BINS - 2}" height="${y(0) - y(share)}" fill="#1565c0">`
      + `<title>${escapeMarkup(`${(i * 100) / BINS}–${((i + 1) * 100) / BINS}%: ${bin.right} of ${bin.count} right`)}</title></rect>`);
    parts.push(`<text x="${x((i + 0.5) / BINS)}" y="${y(share) - 3}" text-anchor="middle" font-size="9">${bin.count}</text>`);
  });
  parts.push('</svg>');
  return chartFigure('Reliability (share right per confidence bin)', parts.join('\n'), WIDTH);
}

/** What the review threshold does on the scored images: how many it sends to review, errors among the rest. */
function reviewTable(images: readonly EvaluatedImage[], threshold: number): string {
  const accepted = images.filter((image) => image.confidence >= threshold);
  const errors = accepted.filter((image) => !image.correct).length;
  const { low, high } = clopperPearsonInterval(errors, accepted.length);
  const flagged = images.length - accepted.length;
  return htmlTable(['review threshold', 'sent to review', 'accepted', 'errors among accepted (95% CI)'], [[
    String(threshold),
    `${flagged} (${percent(flagged / images.length)})`,
    String(accepted.length),
    accepted.length === 0 ? '–' : `${errors} (${percent(errors / accepted.length)}; ${percent(low)}–${percent(high)})`,
  ]]);
}

function calibrationTable(info: ModelInfo): string {
  const calibration = (info as ModelInfo & { calibration?: CalibrationRecord }).calibration;
  if (!calibration?.byViews) return '';
  const rows = Object.entries(calibration.byViews).map(([views, c]) => [
    escapeMarkup(views),
    c.temperature === undefined ? '' : c.temperature.toFixed(3),
    c.eceBefore === undefined ? '' : percent(c.eceBefore),
    c.eceAfter === undefined ? '' : percent(c.eceAfter),
    c.review?.threshold === undefined ? '' : String(c.review.threshold),
    c.review?.errorUpperBound === undefined ? '' : percent(c.review.errorUpperBound),
  ]);
  const a = info.calibration?.adaptive;
  if (a) {
    rows.push([`auto (1, or ${a.views} for ${percent(a.extraViewShare)})`, `${a.sureTemperature.toFixed(3)} / ${a.unsureTemperature.toFixed(3)}`,
      percent(a.eceBefore), percent(a.eceAfter), String(a.review.threshold), percent(a.review.errorUpperBound)]);
  }
  return `<h3>Calibration recorded in the model</h3>\n${htmlTable(['views', 'temperature', 'ECE before', 'ECE after', 'review threshold', 'error bound (95%)'], rows)}`;
}

/** Reliability and review figures: from the scored images where there are some, and the model's calibration record. */
export function reliabilitySection(info: ModelInfo, images: readonly EvaluatedImage[] | undefined, reviewThreshold: number): string {
  const calibration = calibrationTable(info);
  if (!images?.length && !calibration) return '';
  const parts = ['<h2 id="reliability">Reliability and review</h2>'];
  if (images?.length) parts.push(`<div class="charts">${reliabilityChart(images)}</div>`, reviewTable(images, reviewThreshold));
  parts.push(calibration);
  return parts.join('\n');
}
