import { escapeMarkup } from '../util/markup';
import { chartFigure } from './html';

export interface Series {
  name: string;
  colour: string;
  values: readonly number[];
}

const WIDTH = 460;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 110;
const TOP = 10;
const BOTTOM = 32;

/** An inline SVG line chart of per-epoch series sharing one y axis from `yMin` to `yMax`, under its title. */
export function lineChart(title: string, series: readonly Series[], yMin: number, yMax: number, format: (v: number) => string): string {
  const epochs = Math.max(...series.map((s) => s.values.length), 1);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (i: number): number => LEFT + (epochs === 1 ? plotWidth / 2 : (i / (epochs - 1)) * plotWidth);
  const span = yMax - yMin || 1;
  const y = (v: number): number => TOP + plotHeight - ((Math.min(Math.max(v, yMin), yMax) - yMin) / span) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${LEFT + plotWidth}" y2="${TOP + plotHeight}" stroke="#888"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotHeight}" stroke="#888"/>`,
    `<text x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end" font-size="11">${escapeMarkup(format(yMax))}</text>`,
    `<text x="${LEFT - 4}" y="${TOP + plotHeight}" text-anchor="end" font-size="11">${escapeMarkup(format(yMin))}</text>`,
    `<text x="${LEFT + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="11">epoch (1–${epochs})</text>`,
  ];
  series.forEach((s, i) => {
    const points = s.values.map((v, e) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points}"/>`);
    parts.push(`<text x="${LEFT + plotWidth + 8}" y="${TOP + 12 + i * 16}" font-size="12" fill="${s.colour}">${escapeMarkup(s.name)}</text>`);
  });
  parts.push('</svg>');
  return chartFigure(title, parts.join('\n'), WIDTH);
}
