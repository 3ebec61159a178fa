import * as path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import type { ReliabilityBin } from './ece';

const PLOT = 420;
const MARGIN = 16;
const LEFT = 70;
const TOP = 56;
const BOTTOM = 64;
const FONT_SIZE = 12;
/** Rendering density for PNG output (librsvg's default is 72 dpi). */
const PNG_DENSITY = 150;

/**
 * A reliability diagram: for each confidence bin a bar as high as the share of its predictions that
 * were right, its count above it, against the diagonal where accuracy equals confidence. Bars below
 * the diagonal mean overconfidence, above it underconfidence.
 */
export function reliabilitySvg(bins: readonly ReliabilityBin[], ece: number, title = 'Reliability diagram'): string {
  const width = LEFT + PLOT + MARGIN;
  const height = TOP + PLOT + BOTTOM;
  const x = (value: number): number => LEFT + value * PLOT;
  const y = (value: number): number => TOP + (1 - value) * PLOT;
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="${FONT_SIZE}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="${MARGIN + 14}" text-anchor="middle" font-size="${FONT_SIZE + 4}" font-weight="bold">` +
      `${title} (ECE ${ece.toFixed(3)}, ${total} images)</text>`,
    `<rect x="${LEFT}" y="${TOP}" width="${PLOT}" height="${PLOT}" fill="none" stroke="#888"/>`,
  ];
  for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(
      `<line x1="${x(tick)}" y1="${y(0)}" x2="${x(tick)}" y2="${y(0) + 4}" stroke="#888"/>`,
      `<text x="${x(tick)}" y="${y(0) + 16}" text-anchor="middle">${tick.toFixed(1)}</text>`,
      `<line x1="${x(0) - 4}" y1="${y(tick)}" x2="${x(0)}" y2="${y(tick)}" stroke="#888"/>`,
      `<text x="${x(0) - 8}" y="${y(tick)}" text-anchor="end" dominant-baseline="central">${tick.toFixed(1)}</text>`,
    );
  }
  for (const bin of bins) {
    if (bin.count === 0) continue;
    const left = x(bin.low);
    const barWidth = x(bin.high) - left;
    parts.push(
      `<rect class="bar" x="${left + 1}" y="${y(bin.accuracy)}" width="${barWidth - 2}" height="${y(0) - y(bin.accuracy)}" ` +
        `fill="rgb(33,102,172)" fill-opacity="0.8"/>`,
      `<text class="count" x="${left + barWidth / 2}" y="${y(bin.accuracy) - 4}" text-anchor="middle" font-size="${FONT_SIZE - 2}">${bin.count}</text>`,
    );
  }
  parts.push(
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#c0392b" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    `<text x="${LEFT + PLOT / 2}" y="${height - 20}" text-anchor="middle" font-weight="bold">confidence (bins of ${(1 / bins.length).toFixed(3)}; numbers are image counts)</text>`,
    `<text x="${MARGIN + 4}" y="${TOP + PLOT / 2}" text-anchor="middle" font-weight="bold" transform="rotate(-90 ${MARGIN + 4} ${TOP + PLOT / 2})">share right</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

/** Writes the diagram as `.svg` text or as a `.png` rendered by sharp, atomically. */
export async function writeReliabilityImage(bins: readonly ReliabilityBin[], ece: number, file: string): Promise<void> {
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.svg' && extension !== '.png') throw new WbcError(`reliability diagram "${file}" must end in .svg or .png`);
  const svg = reliabilitySvg(bins, ece);
  if (extension === '.svg') return writeFileAtomic(file, svg);
  writeFileAtomic(file, await sharp(Buffer.from(svg), { density: PNG_DENSITY }).png().toBuffer());
}
