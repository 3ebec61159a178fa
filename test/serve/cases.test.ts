import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import type { AuditRow, WorklistRow, Cell } from '../../src/serve/api-schemas';
import { addCase, makeCasesFolder, makeServedFolder, startServer } from './served-folder';

type Json = Record<string, unknown>;

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return response.json() as Promise<T>;
}

async function send(url: string, method: 'PUT' | 'POST', body: Json): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Polls the worklist until `done` holds, recording every state seen; fails after `ms`. */
async function watchCases(url: string, done: (cases: WorklistRow[]) => boolean, seen: WorklistRow[][] = [], ms = 60_000): Promise<WorklistRow[]> {
  const until = Date.now() + ms;
  for (;;) {
    const cases = await get<WorklistRow[]>(`${url}api/cases`);
    seen.push(cases);
    for (const c of cases) assert.notEqual(c.state, 'failed', `${c.name} failed`);
    if (done(cases)) return cases;
    assert.ok(Date.now() < until, `the worklist did not settle: ${JSON.stringify(cases)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reviews every flagged cell of a case as its prediction, comments on its first cell and on the case, and signs it off. */
async function reviewAndSignOff(base: string, who: string): Promise<Cell[]> {
  const cells = await get<Cell[]>(`${base}cells`);
  const flagged = cells.filter((c) => c.needs_review || c.out_of_scope === true).map((c) => c.id);
  const relabel = flagged.length ? flagged : [cells[0].id];
  assert.equal((await send(`${base}cells`, 'PUT', { ids: relabel, label: 'smudge', reviewer: who })).status, 200);
  assert.equal((await send(`${base}cells/${cells[0].id}/comment`, 'PUT', { comment: `cell note by ${who}`, reviewer: who })).status, 200);
  assert.equal((await send(`${base}comment`, 'PUT', { comment: `Case note by ${who}`, reviewer: who })).status, 200);
  const signed = await send(`${base}sign-off`, 'POST', { name: who });
  assert.equal(signed.status, 200, await signed.clone().text());
  return get<Cell[]>(`${base}cells`);
}

test('wbc serve on a folder of cases lists them, classifies them in turn, picks up one added while it runs, and each is reviewed, commented and signed off on its own', { timeout: 180_000 }, async () => {
  const served = await makeServedFolder(4);
  const cases = makeCasesFolder(served, ['slide-a', 'slide-b', 'slide-c']);
  const { cli, url } = await startServer([served.model, cases, '--db', path.join(served.dir, 'cases.sqlite'), '--threads', '1']);
  try {
    const seen: WorklistRow[][] = [];
    const first = await get<WorklistRow[]>(`${url}api/cases`);
    assert.deepEqual(first.map((c) => [c.id, c.name]), [[1, 'slide-a'], [2, 'slide-b'], [3, 'slide-c']]);
    // A case added while the others are classified appears within 10 s.
    addCase(served, cases, 'slide-d');
    const added = Date.now();
    await watchCases(url, (list) => list.length === 4, seen, 10_000);
    const appearedMs = Date.now() - added;
    assert.ok(appearedMs <= 10_000, `slide-d appeared after ${appearedMs} ms`);
    const settled = await watchCases(url, (list) => list.every((c) => c.state === 'to_review'), seen);
    assert.deepEqual(settled.map((c) => c.name), ['slide-a', 'slide-b', 'slide-c', 'slide-d']);
    assert.deepEqual(settled.map((c) => c.cells), [4, 4, 4, 4]);
    // In turn: never two cases classifying at once, and no case classified before one queued ahead of it.
    for (const list of seen) {
      assert.ok(list.filter((c) => c.state === 'classifying').length <= 1, JSON.stringify(list));
      const firstWaiting = list.findIndex((c) => c.state === 'queued' || c.state === 'classifying');
      if (firstWaiting >= 0) assert.ok(list.slice(firstWaiting + 1).every((c) => c.state !== 'to_review' || c.id === 4), JSON.stringify(list));
    }

    // The one-folder routes say where to go; a case id is an id, never a path.
    assert.equal((await fetch(`${url}api/cells`)).status, 404);
    assert.equal((await fetch(`${url}api/cases/9/cells`)).status, 404);
    assert.equal((await fetch(`${url}api/cases/..%2Fslide-a/cells`)).status, 400);
    assert.equal((await fetch(`${url}cases/2/`)).status, 200);

    // Each case on its own: a cell id of another case is no cell here; signing one changes no other.
    const cellsOf = new Map<number, Cell[]>();
    for (const c of settled) cellsOf.set(c.id, await get<Cell[]>(`${url}api/cases/${c.id}/cells`));
    const ids = [...cellsOf.values()].flat().map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'cell ids are unique across cases');
    assert.equal((await fetch(`${url}api/cases/1/cells/${cellsOf.get(2)![0].id}`)).status, 404);
    assert.equal((await send(`${url}api/cases/1/cells`, 'PUT', { ids: [cellsOf.get(2)![0].id], label: 'smudge', reviewer: 'Ann' })).status, 404);
    const signers = ['Ann', 'Ben', 'Cat', 'Dee'];
    for (const [index, c] of settled.entries()) {
      const base = `${url}api/cases/${c.id}/`;
      const after = await reviewAndSignOff(base, signers[index]);
      const worklist = await get<WorklistRow[]>(`${url}api/cases`);
      assert.deepEqual(worklist.map((w) => w.state), settled.map((_, i) => (i <= index ? 'signed_off' : 'to_review')));
      assert.deepEqual(worklist.map((w) => w.signed_off_by), settled.map((_, i) => (i <= index ? signers[i] : null)));
      assert.equal(worklist[index].pending_review, 0);
      const audit = await get<AuditRow[]>(`${base}audit`);
      assert.ok(audit.every((row) => row.who === signers[index]), 'a case\'s audit holds its own changes only');
      assert.deepEqual(audit.filter((row) => row.kind === 'comment').map((row) => [row.cell_id, row.new_label]),
        [[after[0].id, `cell note by ${signers[index]}`], [null, `Case note by ${signers[index]}`]]);
      const csv = parseCsv(await (await fetch(`${base}export/predictions.csv`)).text());
      assert.equal(csv[1][csv[0].indexOf('comment')], `cell note by ${signers[index]}`);
      // Frozen: no more labels or comments.
      assert.equal((await send(`${base}comment`, 'PUT', { comment: 'late', reviewer: 'Eve' })).status, 409);
      assert.equal((await send(`${base}cells/${after[0].id}/comment`, 'PUT', { comment: 'late', reviewer: 'Eve' })).status, 409);
    }
  } finally {
    cli.child.kill('SIGTERM');
  }
  const ended = await cli.finished;
  assert.equal(ended.status, 0, ended.stderr);
});
