import * as path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import { escapeMarkup } from '../util/markup';
import type { Metrics } from './metrics';

const CELL = 56;
const FONT_SIZE = 13;
/** A generous average glyph width for sans-serif at FONT_SIZE, to size the label margins. */
const CHAR_WIDTH = 8;
const MARGIN = 16;
const TITLE_HEIGHT = 40;
const AXIS_LABEL_SPACE = 28;
/** Rendering density for PNG output (librsvg's default is 72 dpi). */
const PNG_DENSITY = 150;

/** The colour at each end of the scale: white for no predictions, deep blue for a whole row. */
const LIGHT: readonly number[] = [255, 255, 255];
const DARK: readonly number[] = [8, 48, 107];

function cellColour(fraction: number): string {
  const channel = (i: number): number => Math.round(LIGHT[i] + (DARK[i] - LIGHT[i]) * fraction);
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}

/** Row-normalised fractions, so that each true class reads as "where did its images go" whatever its size. */
function rowFractions(matrix: readonly number[][]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((sum, count) => sum + count, 0);
    return row.map((count) => (total === 0 ? 0 : count / total));
  });
}

/** An SVG heatmap of the confusion matrix: rows = true class, columns = predicted class. */
export function confusionMatrixSvg(metrics: Metrics, title = 'Confusion matrix'): string {
  const classes = metrics.classes;
  const n = classes.length;
  const labelLength = Math.max(...classes.map((name) => Array.from(name).length)) * CHAR_WIDTH;
  const gridLeft = MARGIN + AXIS_LABEL_SPACE + labelLength + 8;
  const gridTop = MARGIN + TITLE_HEIGHT;
  const gridSize = n * CELL;
  // Rotated x labels hang below the grid at 45°, needing about labelLength·sin 45° of height.
  const xLabelHeight = Math.ceil(labelLength * Math.SQRT1_2) + 16;
  const width = gridLeft + gridSize + MARGIN;
  const height = gridTop + gridSize + xLabelHeight + AXIS_LABEL_SPACE + MARGIN;
  const fractions = rowFractions(metrics.confusionMatrix);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="${FONT_SIZE}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="${MARGIN + 18}" text-anchor="middle" font-size="${FONT_SIZE + 4}" font-weight="bold">` +
      `${escapeMarkup(title)} (accuracy ${(metrics.accuracy * 100).toFixed(1)}%)</text>`,
  ];

  for (let row = 0; row < n; row += 1) {
    for (let column = 0; column < n; column += 1) {
      const x = gridLeft + column * CELL;
      const y = gridTop + row * CELL;
      const fraction = fractions[row][column];
      parts.push(
        `<rect class="cell" x="${x}" y="${y}" width="${CELL}" height="${CELL}" ` +
          `fill="${cellColour(fraction)}" stroke="#d0d0d0"/>`,
        `<text x="${x + CELL / 2}" y="${y + CELL / 2}" text-anchor="middle" dominant-baseline="central" ` +
          `fill="${fraction > 0.5 ? 'white' : 'black'}">${metrics.confusionMatrix[row][column]}</text>`,
      );
    }
  }

  classes.forEach((name, index) => {
    const label = escapeMarkup(name);
    const rowCentre = gridTop + index * CELL + CELL / 2;
    const columnCentre = gridLeft + index * CELL + CELL / 2;
    const below = gridTop + gridSize + 8;
    parts.push(
      `<text x="${gridLeft - 8}" y="${rowCentre}" text-anchor="end" dominant-baseline="central">${label}</text>`,
      `<text x="${columnCentre}" y="${below}" text-anchor="end" dominant-baseline="central" ` +
        `transform="rotate(-45 ${columnCentre} ${below})">${label}</text>`,
    );
  });

  const gridMiddleY = gridTop + gridSize / 2;
  const axisX = MARGIN + AXIS_LABEL_SPACE / 2;
  parts.push(
    `<text x="${axisX}" y="${gridMiddleY}" text-anchor="middle" dominant-baseline="central" font-weight="bold" ` +
      `transform="rotate(-90 ${axisX} ${gridMiddleY})">true class</text>`,
    `<text x="${gridLeft + gridSize / 2}" y="${height - MARGIN - 4}" text-anchor="middle" font-weight="bold">` +
      `predicted class</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

export const CONFUSION_EXTENSIONS: readonly string[] = ['.svg', '.png'];

/** Writes the heatmap as `.svg` text or as a `.png` rendered by sharp, atomically. */
export async function writeConfusionMatrixImage(metrics: Metrics, file: string, title?: string): Promise<void> {
  const extension = path.extname(file).toLowerCase();
  if (!CONFUSION_EXTENSIONS.includes(extension)) {
    throw new WbcError(`confusion matrix image "${file}" must end in .svg or .png`);
  }
  const svg = confusionMatrixSvg(metrics, title);
  if (extension === '.svg') {
    writeFileAtomic(file, svg);
    return;
  }
  const png = await sharp(Buffer.from(svg), { density: PNG_DENSITY }).png().toBuffer();
  writeFileAtomic(file, png);
}
