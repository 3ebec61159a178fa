import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { AuditRow, Cell, Differential, Info } from '../../src/serve/api-schemas';
import { scanFolder } from '../../src/serve/folder-scan';
import { serve, type RunningServer } from '../../src/serve/serve';
import { classified, makeServedFolder } from './served-folder';

const JSON_HEADERS = { 'content-type': 'application/json' };

async function get<T>(server: RunningServer, url: string): Promise<T> {
  const response = await fetch(`${server.url}${url}`);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const byFile = (cells: Cell[]) => new Map(cells.map((cell) => [cell.file, cell]));

test('every start rescans the folder: added, removed, replaced, symlinked-out and unreadable files', async () => {
  const { model, images, dir } = await makeServedFolder(2); // cell-001 … cell-006
  const options = { port: 0, db: path.join(dir, 'review.sqlite'), threads: 1 };
  const first = await serve(model, images, options);
  try {
    await classified(first);
    for (const [id, label] of [[3, 'green'], [4, 'red']] as const) {
      const put = await fetch(`${first.url}api/cells/${id}`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ label, reviewer: 'Ann' }) });
      assert.equal(put.status, 200);
    }
  } finally {
    await first.close();
  }
  const cellsBefore = 6;

  // Between the two starts: one image added, one removed, one replaced by other content, a link that leads
  // out of the folder, and an image-named link to nothing (a file that cannot be read, as root too).
  const outside = path.join(dir, 'labelled', 'blue', '0.png');
  fs.copyFileSync(path.join(dir, 'labelled', 'red', '5.png'), path.join(images, 'cell-007.png'));
  fs.rmSync(path.join(images, 'cell-004.png'));
  fs.copyFileSync(path.join(dir, 'labelled', 'blue', '7.png'), path.join(images, 'cell-003.png'));
  fs.symlinkSync(outside, path.join(images, 'outside.png'));
  fs.symlinkSync(path.join(dir, 'nowhere.png'), path.join(images, 'dangling.png'));

  const second = await serve(model, images, options);
  try {
    await classified(second);
    const cells = byFile(await get<Cell[]>(second, 'api/cells'));
    assert.deepEqual([...cells.keys()].sort(), ['cell-001.png', 'cell-002.png', 'cell-003.png', 'cell-004.png', 'cell-005.png', 'cell-006.png', 'cell-007.png']);
    assert.equal(cells.get('cell-007.png')!.missing, false);
    assert.equal(cells.get('cell-007.png')!.sha256, sha256(path.join(images, 'cell-007.png')));
    assert.equal(cells.get('cell-004.png')!.missing, true, 'a removed image is kept, marked missing');
    assert.equal(cells.get('cell-004.png')!.label, 'red');
    const replaced = cells.get('cell-003.png')!;
    assert.equal(replaced.missing, false);
    assert.equal(replaced.sha256, sha256(path.join(images, 'cell-003.png')), 'classified anew from its new content');
    assert.equal(replaced.label, null, 'a replaced image loses its review');
    assert.equal(replaced.reviewed_by, null);

    const audit = await get<AuditRow[]>(second, 'api/audit');
    const events = audit.filter((row) => row.kind !== 'label').map((row) => [row.kind, row.file, row.old_label, row.new_label]);
    assert.deepEqual(events, [
      ['replaced', 'cell-003.png', 'green', null],
      ['missing', 'cell-004.png', 'red', 'red'],
      ['added', 'cell-007.png', null, null],
    ]);
    assert.match(audit.find((row) => row.kind === 'replaced')!.reason!, /^the image's content changed \(sha256 [0-9a-f]{12}… now [0-9a-f]{12}…\)/);

    const info = await get<Info>(second, 'api/info');
    assert.deepEqual(info.refused, [
      { file: 'dangling.png', reason: 'cannot be read (ENOENT: a link to nothing, or a loop)' },
      { file: 'outside.png', reason: 'its real path leaves the folder' },
    ]);
    assert.deepEqual(info.integrity, { ok: true });

    // Counted nowhere: not the missing cell, not the refused files.
    const present = cellsBefore - 1 + 1;
    assert.equal((await get<Differential>(second, 'api/differential')).cells, present);
    const csv = await (await fetch(`${second.url}api/export/predictions.csv`)).text();
    assert.equal(csv.trim().split('\n').length, 1 + present);
    assert.doesNotMatch(csv, /cell-004|outside|dangling/);
    assert.equal((await fetch(`${second.url}api/cells/${cells.get('cell-004.png')!.id}/image`)).status, 404);

    // Changed while served: the image is refused until a rescan classifies it anew.
    const changing = cells.get('cell-001.png')!;
    fs.copyFileSync(path.join(dir, 'labelled', 'green', '6.png'), path.join(images, 'cell-001.png'));
    const stale = await fetch(`${second.url}api/cells/${changing.id}/image`);
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as { error: string }).error, 'the image changed since it was classified; rescan the folder');
    const rescan = await fetch(`${second.url}api/rescan`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    assert.equal(rescan.status, 200, await rescan.clone().text());
    await classified(second);
    assert.equal((await get<Cell>(second, `api/cells/${changing.id}`)).sha256, sha256(path.join(images, 'cell-001.png')));
    assert.equal((await fetch(`${second.url}api/cells/${changing.id}/image`)).status, 200);
  } finally {
    await second.close();
  }
});

test('a FIFO named like an image is refused with its reason, never opened: the scan does not hang', { timeout: 20_000 }, async () => {
  const { images } = await makeServedFolder(1);
  execFileSync('mkfifo', [path.join(images, 'pipe.png')]);
  fs.mkdirSync(path.join(images, 'slide-2'));
  fs.symlinkSync(path.join(images, 'pipe.png'), path.join(images, 'slide-2', 'link-to-pipe.jpg'));
  const scan = await scanFolder(fs.realpathSync(images));
  const reason = 'not a regular file (a FIFO, a socket or a device): never opened';
  assert.deepEqual(scan.refused, [{ file: 'pipe.png', reason }, { file: path.join('slide-2', 'link-to-pipe.jpg'), reason }]);
  assert.deepEqual([...scan.sha256.keys()].sort(), ['cell-001.png', 'cell-002.png', 'cell-003.png']);
});
