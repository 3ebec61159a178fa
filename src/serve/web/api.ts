/** The JSON API the page uses: the same one documented for scripts and a LIMS. */
export interface Cell {
  id: number;
  file: string;
  prediction: string;
  confidence: number;
  needs_review: boolean;
  out_of_scope: boolean | null;
  probabilities: number[];
  label: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

export interface Info {
  title: string;
  classes: string[];
  bins: string[];
  sign_off: SignOff | null;
}

export interface SignOff {
  name: string;
  at: string;
}

export interface Progress {
  state: 'classifying' | 'done' | 'failed';
  done: number;
  total: number;
  error?: string;
}

export interface DifferentialRow {
  class: string;
  count: number;
  percent: number;
  ci_low: number;
  ci_high: number;
}

export interface Differential {
  total: number;
  rows: DifferentialRow[];
  bins: Record<string, number>;
  out_of_scope_unreviewed: number;
  reviewed: number;
  needs_review_pending: number;
  cells: number;
}

/** A request to the API; a non-2xx answer throws its `error` text. The token, if any, travels as a cookie. */
export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data as { error?: string }).error ?? `${response.status} ${response.statusText}`);
  return data as T;
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

/** A differential as a table: class, count, % and its 95% interval; then the cells counted apart. */
export function differentialTable(differential: Differential): HTMLTableElement {
  const table = element('table', '', 'differential');
  const head = table.createTHead().insertRow();
  for (const title of ['class', 'count', '%', '95% CI']) head.append(element('th', title));
  const body = table.createTBody();
  for (const row of differential.rows) {
    const tr = body.insertRow();
    tr.dataset.class = row.class;
    tr.append(element('td', row.class), element('td', String(row.count), 'number'), element('td', row.percent.toFixed(1), 'number'),
      element('td', `${row.ci_low.toFixed(1)}–${row.ci_high.toFixed(1)}`, 'number ci'));
  }
  const total = body.insertRow();
  total.className = 'total';
  total.append(element('td', 'white cells'), element('td', String(differential.total), 'number'), element('td', differential.total ? '100.0' : '0.0', 'number'), element('td'));
  const apart = table.createTFoot();
  for (const [bin, count] of Object.entries(differential.bins)) {
    const tr = apart.insertRow();
    tr.append(element('td', `not counted: ${bin}`), element('td', String(count), 'number'));
  }
  const outOfScope = apart.insertRow();
  outOfScope.append(element('td', 'not counted: out of scope, unreviewed'), element('td', String(differential.out_of_scope_unreviewed), 'number'));
  return table;
}
