import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { makeServedFolder, startServer } from './served-folder';

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
