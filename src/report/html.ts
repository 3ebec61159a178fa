import { escapeMarkup } from '../util/markup';

/** A table from a header and rows of already-escaped cell HTML. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${escapeMarkup(h)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * A chart `width` px wide under its title: the title is HTML text, which wraps within the chart's width,
 * so no title length can cut it off; on a narrower screen the chart shrinks to fit.
 */
export function chartFigure(title: string, svg: string, width: number): string {
  return `<figure class="chart" style="width:${width}px"><figcaption>${escapeMarkup(title)}</figcaption>\n${svg}</figure>`;
}
