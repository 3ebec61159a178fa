import type { Answers, AuditRow, Bodies, Differential, Info, Route } from '../api-schemas.js';

/** The JSON API the page uses: the one documented for scripts and a LIMS (docs/api.md), with its types. */
export type { Cell, Info, SignOff } from '../api-schemas.js';

/** The case this page shows, from its address (/cases/7/…); undefined for the one folder served at /. */
const CASE = /^\/cases\/([1-9][0-9]*)\//.exec(location.pathname)?.[1];

/** A review route's URL for this page's review: /api/… as it is, or for a case the same under /api/cases/:case/. */
export function reviewUrl(url: string): string {
  return CASE !== undefined && url.startsWith('/api/') ? `/api/cases/${CASE}/${url.slice('/api/'.length)}` : url;
}

/** Points the page's links to review routes (`data-review-href`) at this page's review, and shows the way back to the worklist for a case. */
export function linkReview(): void {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-review-href]')) link.href = reviewUrl(link.dataset.reviewHref!);
  const worklist = document.getElementById('worklist');
  if (worklist) worklist.hidden = CASE === undefined;
}

/** A request; a non-2xx answer throws its `error` text. The token, if any, travels as a cookie. */
async function request(method: string, url: string, body: unknown): Promise<unknown> {
  const response = await fetch(reviewUrl(url), {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data as { error?: string }).error ?? `${response.status} ${response.statusText}`);
  return data;
}

/**
 * A request to a route of the API ("METHOD /url"), its body and answer typed by the route's schemas
 * (NoInfer: the route alone decides R; inferring R back from where the answer goes is needlessly deep).
 */
export function api<R extends Route>(route: R, ...[body]: Bodies[R] extends undefined ? [] : [Bodies[R]]): Promise<NoInfer<Answers[R]>> {
  const [method, url] = route.split(' ');
  return request(method, url, body) as Promise<Answers[R]>;
}

/** The same for a route with path parameters: `url` is its path with them filled in. */
export function apiAt<R extends Route>(route: R, url: string, ...[body]: Bodies[R] extends undefined ? [] : [Bodies[R]]): Promise<NoInfer<Answers[R]>> {
  return request(route.split(' ')[0], url, body) as Promise<Answers[R]>;
}

/** An element with text and classes; never HTML from data. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function percent(value: number, digits = 1): string {
  return `${value.toFixed(digits)}%`;
}

type CountRow = { count: number; percent: number; ci_low: number; ci_high: number };

/** A row of count, % and 95% interval under a name. */
function countRow(body: HTMLTableSectionElement, name: string, row: CountRow): HTMLTableRowElement {
  const tr = body.insertRow();
  tr.append(element('td', name), element('td', String(row.count), 'number'), element('td', row.percent.toFixed(1), 'number'),
    element('td', `${row.ci_low.toFixed(1)}–${row.ci_high.toFixed(1)}`, 'number ci'));
  return tr;
}

/**
 * A differential as a table: each category (a class under nine) with its count, % and 95% interval, its
 * classes indented beneath where it has more than itself; the I/T ratio; then what is counted apart:
 * non-white kinds (nucleated red cells per 100 white cells), bins and unreviewed out-of-scope cells.
 */
export function differentialTable(differential: Differential): HTMLTableElement {
  const table = element('table', '', 'differential');
  const head = table.createTHead().insertRow();
  for (const title of [differential.scheme === 'nine' ? 'class' : 'category', 'count', '%', '95% CI']) head.append(element('th', title));
  const body = table.createTBody();
  for (const category of differential.categories) {
    const tr = countRow(body, category.category, category);
    tr.dataset.category = category.category;
    const detail = category.classes.length > 1 || category.classes[0].class !== category.category;
    if (!detail) tr.dataset.class = category.category;
    else {
      for (const row of category.classes) {
        const sub = countRow(body, row.class, row);
        sub.dataset.class = row.class;
        sub.className = 'detail';
      }
    }
  }
  const total = body.insertRow();
  total.className = 'total';
  total.append(element('td', 'white cells'), element('td', String(differential.total), 'number'), element('td', differential.total ? '100.0' : '0.0', 'number'), element('td'));
  const ratio = differential.it_ratio;
  if (ratio) {
    const tr = body.insertRow();
    tr.dataset.ratio = 'i/t';
    tr.title = 'bands, metamyelocytes and myelocytes over those and neutrophils';
    tr.append(element('td', 'I/T ratio'), element('td', `${ratio.immature}/${ratio.lineage}`, 'number'), element('td', ratio.value.toFixed(3), 'number'),
      element('td', `${ratio.ci_low.toFixed(3)}–${ratio.ci_high.toFixed(3)}`, 'number ci'));
  }
  const apart = table.createTFoot();
  for (const row of differential.non_white ?? []) {
    const tr = apart.insertRow();
    tr.dataset.nonWhite = row.kind;
    const per100 = row.per_100_white;
    tr.append(element('td', `not white: ${row.kind}`), element('td', String(row.count), 'number'),
      element('td', per100 ? `${per100.value.toFixed(1)}/100 WBC` : '', 'number'),
      element('td', per100 ? `${per100.ci_low.toFixed(1)}–${per100.ci_high.toFixed(1)}` : '', 'number ci'));
  }
  for (const [bin, count] of Object.entries(differential.bins)) {
    const tr = apart.insertRow();
    tr.append(element('td', `not counted: ${bin}`), element('td', String(count), 'number'));
  }
  const outOfScope = apart.insertRow();
  outOfScope.append(element('td', 'not counted: out of scope, unreviewed'), element('td', String(differential.out_of_scope_unreviewed), 'number'));
  return table;
}

/** A time as ISO 8601 in the browser's zone, with its offset (2026-12-05T14:03:07+01:00): unambiguous on paper. */
export function isoWithOffset(time: string | Date): string {
  const date = new Date(time);
  const offset = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const two = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${local}${offset < 0 ? '-' : '+'}${two(offset / 60)}:${two(offset % 60)}`;
}

/** Whether an audit entry is a person's label change rather than what a rescan found (older servers recorded only those, without a kind). */
export function isRelabel(row: AuditRow): boolean {
  const kind = (row as { kind?: string }).kind;
  return kind === undefined || kind === 'label';
}

/** What GET /api/info adds where the server checks its record and the folder (older servers lack them). */
interface RecordChecks {
  integrity?: { ok: boolean; problem?: string };
  refused?: { file: string; reason: string }[];
}

/**
 * Shows, on every page, a record that failed its check (#integrity) and the files of the folder that
 * were refused (#refused, where the page has it).
 */
export function showRecordChecks(info: Info): void {
  const checks = info as Info & RecordChecks;
  const banner = document.getElementById('integrity');
  if (banner && checks.integrity && !checks.integrity.ok) {
    banner.textContent = `This review's record failed its check: ${checks.integrity.problem ?? 'no reason given'}. `
      + 'It may have been changed outside wbc; do not rely on it.';
    banner.hidden = false;
  }
  const refused = document.getElementById('refused');
  if (refused && checks.refused) {
    // Shown anew after each rescan: a file put right since is no longer listed.
    refused.querySelector('summary')!.textContent = `${checks.refused.length} file${checks.refused.length === 1 ? '' : 's'} of the folder refused, counted nowhere`;
    refused.querySelector('ul')!.replaceChildren(...checks.refused.map((file) => element('li', `${file.file}: ${file.reason}`)));
    refused.hidden = checks.refused.length === 0;
  }
}
