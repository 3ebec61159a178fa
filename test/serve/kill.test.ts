import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { makeCasesFolder, makeServedFolder, startServer } from './served-folder';

async function waitUntilClassified(url: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const progress = await (await fetch(`${url}api/progress`)).json();
    if (progress.state === 'done') return;
    assert.notEqual(progress.state, 'failed', progress.error);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('classification did not finish');
}

test('SIGKILL right after an acknowledged change loses nothing: the change and its audit row survive', async () => {
  const { model, images, dir } = await makeServedFolder(2);
  const db = path.join(dir, 'review.sqlite');
  const first = await startServer([model, images, '--db', db]);
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await waitUntilClassified(first.url);
  const cells = await (await fetch(`${first.url}api/cells`)).json();
  const target = cells[3];
  const label = target.prediction === 'red' ? 'green' : 'red';
  const put = await fetch(`${first.url}api/cells/${target.id}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label, reviewer: 'Ann' }),
  });
  assert.equal(put.status, 200);
  first.cli.child.kill('SIGKILL');
  const ended = await first.cli.finished;
  assert.equal(ended.signal, 'SIGKILL');

  const second = await startServer([model, images, '--db', db]);
  try {
    await waitUntilClassified(second.url);
    const after = await (await fetch(`${second.url}api/cells`)).json();
    assert.equal(after.length, cells.length, 'the review resumes rather than classifying again');
    assert.equal(after.find((c: { id: number }) => c.id === target.id).label, label);
    const audit = await (await fetch(`${second.url}api/audit`)).json();
    assert.deepEqual(audit.map((row: Record<string, unknown>) => [row.cell_id, row.who, row.old_label, row.new_label]), [[target.id, 'Ann', null, label]]);
  } finally {
    second.cli.child.kill('SIGTERM');
    await second.cli.finished;
  }
});

async function json<T = Record<string, unknown>>(url: string, method = 'GET', body?: unknown): Promise<T> {
  const response = await fetch(url, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, `${method} ${url}: ${await response.clone().text()}`);
  return response.json() as Promise<T>;
}

test('SIGKILL during the review of case 2 loses nothing acknowledged in any case: labels, comments, sign-offs, audit chains', async () => {
  const served = await makeServedFolder(2);
  const cases = makeCasesFolder(served, ['slide-a', 'slide-b', 'slide-c'], 3);
  const db = path.join(served.dir, 'cases.sqlite');
  const first = await startServer([served.model, cases, '--db', db]);
  type Summary = { id: number; state: string };
  for (let i = 0; ; i += 1) {
    const list = await json<Summary[]>(`${first.url}api/cases`);
    if (list.length === 3 && list.every((c) => c.state === 'to_review')) break;
    assert.ok(i < 600, 'the cases were not classified');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  type ApiCell = { id: number; label: string | null; comment: string | null };
  // Case 1: reviewed, commented and signed off.
  const one = `${first.url}api/cases/1/`;
  const oneCells = await json<ApiCell[]>(`${one}cells`);
  await json(`${one}cells`, 'PUT', { ids: oneCells.map((c) => c.id), label: 'artefact', reviewer: 'Ann' });
  await json(`${one}comment`, 'PUT', { comment: 'Smudge cells present.', reviewer: 'Ann' });
  await json(`${one}sign-off`, 'POST', { name: 'Ann' });
  // Case 2: under review when the server is killed.
  const two = `${first.url}api/cases/2/`;
  const twoCells = await json<ApiCell[]>(`${two}cells`);
  await json(`${two}cells/${twoCells[1].id}`, 'PUT', { label: 'smudge', reviewer: 'Ben' });
  await json(`${two}cells/${twoCells[2].id}/comment`, 'PUT', { comment: 'see hematopathologist', reviewer: 'Ben' });
  first.cli.child.kill('SIGKILL');
  assert.equal((await first.cli.finished).signal, 'SIGKILL');

  const second = await startServer([served.model, cases, '--db', db]);
  try {
    const list = await json<{ id: number; state: string; signed_off_by: string | null }[]>(`${second.url}api/cases`);
    assert.deepEqual(list.map((c) => [c.id, c.state, c.signed_off_by]), [[1, 'signed_off', 'Ann'], [2, 'to_review', null], [3, 'to_review', null]]);
    assert.ok((await json<ApiCell[]>(`${second.url}api/cases/1/cells`)).every((c) => c.label === 'artefact'));
    assert.equal((await json<{ text: string }>(`${second.url}api/cases/1/comment`)).text, 'Smudge cells present.');
    const after = await json<ApiCell[]>(`${second.url}api/cases/2/cells`);
    assert.deepEqual(after.map((c) => [c.label, c.comment]), [[null, null], ['smudge', null], [null, 'see hematopathologist']]);
    assert.ok((await json<ApiCell[]>(`${second.url}api/cases/3/cells`)).every((c) => c.label === null && c.comment === null));
    for (const id of [1, 2, 3]) {
      const info = await json<{ integrity: { ok: boolean } }>(`${second.url}api/cases/${id}/info`);
      assert.deepEqual(info.integrity, { ok: true }, `case ${id}'s chain holds`);
    }
    const audit = await json<{ who: string; kind: string }[]>(`${second.url}api/cases/2/audit`);
    assert.deepEqual(audit.map((row) => [row.who, row.kind]), [['Ben', 'label'], ['Ben', 'comment']]);
  } finally {
    second.cli.child.kill('SIGTERM');
    await second.cli.finished;
  }
});

test('bound beyond loopback without a token, wbc serve prints a generated token that requests need, and warns of plain HTTP', async () => {
  const { model, images } = await makeServedFolder(1);
  const { cli, url } = await startServer([model, images, '--host', '0.0.0.0']);
  try {
    assert.notEqual(new URL(url).hostname, '0.0.0.0', 'the URL names an address a browser can open');
    const token = new URL(url).searchParams.get('token');
    assert.ok(token && token.length >= 16, url);
    const base = `http://127.0.0.1:${new URL(url).port}/api/progress`;
    assert.equal((await fetch(base)).status, 401);
    assert.equal((await fetch(base, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
    assert.equal((await fetch(base, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  } finally {
    cli.child.kill('SIGTERM');
  }
  const { stderr } = await cli.finished;
  const warnings = stderr.split('\n').filter((line) => line.includes('plain HTTP'));
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0], /^warning: plain HTTP beyond loopback: .*--tls-cert and --tls-key\)$/);
});
