import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';
import type { Cell } from '../../src/serve/api-schemas';
import { writeSolid } from '../helpers/images';
import { CLASSES, apiFixture } from './fixture';

const LOCAL = { host: '127.0.0.1:8080' };
const JSON_HEADERS = { ...LOCAL, 'content-type': 'application/json' };

test('GET /api/cells lists each cell with its prediction, review flags and label', async () => {
  const { app } = await apiFixture();
  const response = await app.inject({ method: 'GET', url: '/api/cells', headers: LOCAL });
  assert.equal(response.statusCode, 200);
  const cells = response.json() as Cell[];
  assert.deepEqual(cells.map((c) => [c.id, c.file, c.prediction, c.needs_review, c.out_of_scope, c.label]), [
    [1, 'a.png', 'red', false, null, null],
    [2, 'b.png', 'green', true, null, null],
    [3, 'c.png', 'blue', false, null, null],
    [4, path.join('deeper', 'd.png'), 'blue', false, null, null],
  ]);
  assert.equal(cells[0].confidence, 0.9);
});

test('PUT /api/cells/:id commits the label and an audit row before it answers; null clears it', async () => {
  const { app, store } = await apiFixture();
  const put = await app.inject({ method: 'PUT', url: '/api/cells/2', headers: JSON_HEADERS, payload: { label: 'smudge', reviewer: 'Ann' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().label, 'smudge');
  assert.equal(store.cell(2)!.label, 'smudge');
  assert.equal(store.cell(2)!.reviewed_by, 'Ann');
  const cleared = await app.inject({ method: 'PUT', url: '/api/cells/2', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: null } });
  assert.equal(cleared.json().label, null);
  assert.deepEqual(store.audit().map((row) => [row.cell_id, row.who, row.old_label, row.new_label]), [
    [2, 'Ann', null, 'smudge'],
    [2, 'Ann Tech', 'smudge', null],
  ]);
  for (const payload of [{ label: 'red' }, { label: 'red', reviewer: '  ' }]) {
    const anonymous = await app.inject({ method: 'PUT', url: '/api/cells/2', headers: JSON_HEADERS, payload });
    assert.equal(anonymous.statusCode, 400);
    assert.equal(anonymous.json().error, 'a reviewer name is required to change a label');
  }
  assert.equal(store.audit().length, 2, 'a refused change leaves no audit row');
});

test('PUT /api/cells moves many cells in one change', async () => {
  const { app, store } = await apiFixture();
  const put = await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', ids: [1, 3], label: 'green' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().changed, 2);
  assert.deepEqual(store.cells().map((c) => c.label), ['green', null, 'green', null]);
  const missing = await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', ids: [1, 99], label: 'red' } });
  assert.equal(missing.statusCode, 404);
  assert.equal(store.cell(1)!.label, 'green', 'a batch with an unknown id changes nothing');
});

test('the differential counts reviewed labels, puts bins apart, and gives exact intervals', async () => {
  const { app } = await apiFixture();
  const before = (await app.inject({ method: 'GET', url: '/api/differential', headers: LOCAL })).json();
  assert.equal(before.total, 4);
  assert.deepEqual(before.rows.map((r: { class: string; count: number }) => [r.class, r.count]), [['blue', 2], ['green', 1], ['red', 1]]);
  await app.inject({ method: 'PUT', url: '/api/cells/2', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'artefact' } });
  const after = (await app.inject({ method: 'GET', url: '/api/differential', headers: LOCAL })).json();
  assert.equal(after.total, 3);
  assert.equal(after.bins.artefact, 1);
  const blue = after.rows[0];
  assert.equal(blue.percent, (2 / 3) * 100);
  assert.ok(blue.ci_low < blue.percent && blue.percent < blue.ci_high && blue.ci_high < 100);
  const csv = parseCsv((await app.inject({ method: 'GET', url: '/api/export/differential.csv', headers: LOCAL })).body);
  assert.deepEqual(csv[0], ['class', 'count', 'percent', 'ci_low', 'ci_high']);
  assert.deepEqual(csv[1].slice(0, 3), ['blue', '2', '66.7']);
  assert.ok(csv.some((row) => row[0] === 'bin: artefact' && row[1] === '1'));
});

test('the predictions export has classify\'s columns plus the review and the cell\'s comment', async () => {
  const { app } = await apiFixture();
  await app.inject({ method: 'PUT', url: '/api/cells/1', headers: JSON_HEADERS, payload: { label: 'green', reviewer: 'Ann' } });
  const comment = await app.inject({ method: 'PUT', url: '/api/cells/1/comment', headers: JSON_HEADERS, payload: { comment: '  =see slide, "smudged"\n', reviewer: 'Ann' } });
  assert.equal(comment.json().comment, '=see slide, "smudged"', 'trimmed');
  const rows = parseCsv((await app.inject({ method: 'GET', url: '/api/export/predictions.csv', headers: LOCAL })).body);
  assert.deepEqual(rows[0], ['file', 'prediction', 'confidence', 'second', 'second_confidence', 'needs_review', 'out_of_scope_score', 'out_of_scope', ...CLASSES,
    'group', 'group_confidence', 'reviewed_label', 'reviewed_by', 'reviewed_at', 'comment']);
  assert.deepEqual(rows[1].slice(0, 2), ['a.png', 'red']);
  assert.deepEqual(rows[1].slice(-6, -4), ['red', '0.9000'], 'under nine the group is the prediction');
  assert.deepEqual(rows[1].slice(-4, -2), ['green', 'Ann']);
  assert.ok(!Number.isNaN(Date.parse(rows[1][rows[1].length - 2])));
  assert.equal(rows[1][rows[1].length - 1], '\'=see slide, "smudged"', 'a comment that would start a formula is guarded');
  assert.deepEqual(rows[2].slice(-4), ['', '', '', '']);
});

test('sign-off needs a name and every flagged cell reviewed, then freezes the review', async () => {
  const { app } = await apiFixture();
  const signOff = (name: string) => app.inject({ method: 'POST', url: '/api/sign-off', headers: JSON_HEADERS, payload: { name } });
  const flagged = (await app.inject({ method: 'GET', url: '/api/cells' })).json()
    .filter((cell: { needs_review: boolean; out_of_scope?: boolean | null }) => cell.needs_review || cell.out_of_scope === true);
  assert.ok(flagged.length > 0, 'the fixture has flagged cells');
  const early = await signOff('Dr Lee');
  assert.equal(early.statusCode, 409);
  assert.equal(early.json().error, `cannot sign off: ${flagged.length} flagged cell${flagged.length === 1 ? '' : 's'} (needing review or out of scope) not reviewed yet`);
  for (const cell of flagged) {
    await app.inject({ method: 'PUT', url: `/api/cells/${cell.id}`, headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: cell.prediction } });
  }
  assert.equal((await signOff(' ')).statusCode, 400);
  const signed = await app.inject({ method: 'POST', url: '/api/sign-off', headers: JSON_HEADERS, payload: { name: 'Dr Lee' } });
  assert.equal(signed.statusCode, 200, signed.body);
  assert.equal(signed.json().name, 'Dr Lee');
  const put = await app.inject({ method: 'PUT', url: '/api/cells/1', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'green' } });
  assert.equal(put.statusCode, 409);
  const again = await app.inject({ method: 'POST', url: '/api/sign-off', headers: JSON_HEADERS, payload: { name: 'Someone' } });
  assert.equal(again.statusCode, 409);
});

test('the labelled-folder export holds the cells reviewed as a class, one sub-folder per class', async () => {
  const { app, context } = await apiFixture();
  const none = await app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  assert.equal(none.statusCode, 409);
  await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', ids: [1, 4], label: 'red' } });
  await app.inject({ method: 'PUT', url: '/api/cells/3', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'blue' } });
  await app.inject({ method: 'PUT', url: '/api/cells/2', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'smudge' } });
  const exported = await app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  assert.equal(exported.statusCode, 200, exported.body);
  assert.equal(exported.json().images, 3);
  const folder = context.exportDir;
  assert.deepEqual(fs.readdirSync(folder).filter((name) => !name.startsWith('.')).sort(), ['blue', 'red']);
  assert.deepEqual(fs.readdirSync(path.join(folder, 'red')).sort(), ['1-a.png', '4-deeper__d.png']);
  // A second export replaces the first; a folder that is not an export is never replaced.
  await app.inject({ method: 'PUT', url: '/api/cells/3', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'green' } });
  assert.equal((await app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} })).statusCode, 200);
  assert.deepEqual(fs.readdirSync(folder).filter((name) => !name.startsWith('.')).sort(), ['green', 'red']);
  fs.rmSync(folder, { recursive: true });
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'precious.txt'), 'keep me');
  const refused = await app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  assert.equal(refused.statusCode, 409);
  assert.match(refused.json().error, /not an earlier export/);
  assert.equal(fs.readFileSync(path.join(folder, 'precious.txt'), 'utf8'), 'keep me');
});

test('for a model with non-white kinds the export puts the kinds apart from the white classes, and names the folders to train with', async () => {
  // The fixture's 'blue' plays a non-white kind here.
  const { app, context } = await apiFixture({ nonWhite: ['blue'] });
  const exportFolder = () => app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  await app.inject({ method: 'PUT', url: '/api/cells/1', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'red' } });
  const whiteOnly = await exportFolder();
  assert.equal(whiteOnly.statusCode, 200, whiteOnly.body);
  const folder = context.exportDir;
  assert.deepEqual(whiteOnly.json().trainArguments, [path.join(folder, 'white')], 'no kind reviewed: nothing to pass as --non-white');
  await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', ids: [3, 4], label: 'blue' } });
  const exported = await exportFolder();
  assert.equal(exported.statusCode, 200, exported.body);
  assert.deepEqual(exported.json(), {
    folder, images: 3, perClass: { red: 1, blue: 2 },
    trainArguments: [path.join(folder, 'white'), '--non-white', path.join(folder, 'non-white')],
  });
  assert.deepEqual(fs.readdirSync(folder).filter((name) => !name.startsWith('.')).sort(), ['non-white', 'white']);
  assert.deepEqual(fs.readdirSync(path.join(folder, 'white')), ['red']);
  assert.deepEqual(fs.readdirSync(path.join(folder, 'non-white', 'blue')).sort(), ['3-c.png', '4-deeper__d.png']);
});

test('the labelled-folder export refuses, in one line, an image changed or gone since it was classified, and writes nothing', async () => {
  const { app, context, imageDir, dir } = await apiFixture();
  const exportFolder = () => app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann', ids: [1, 3], label: 'red' } });
  assert.equal((await exportFolder()).statusCode, 200);
  const earlier = fs.readdirSync(path.join(context.exportDir, 'red')).sort();
  assert.deepEqual(earlier, ['1-a.png', '3-c.png']);

  // c.png now holds other content: its review was made of the image before.
  await writeSolid(path.join(imageDir, 'c.png'), 8, 8, [10, 10, 10]);
  const changed = await exportFolder();
  assert.equal(changed.statusCode, 409);
  assert.match(changed.json().error, /^c\.png changed since it was classified \(sha256 [0-9a-f]{12}… now [0-9a-f]{12}…\); rescan the folder, review it again, then export$/);
  assert.deepEqual(fs.readdirSync(path.join(context.exportDir, 'red')).sort(), earlier, 'the earlier export is left as it was');
  assert.deepEqual(fs.readdirSync(dir).filter((name) => name.endsWith('.building')), [], 'nothing half-built is left');

  fs.rmSync(path.join(imageDir, 'c.png'));
  fs.rmSync(path.join(imageDir, 'a.png'));
  const gone = await exportFolder();
  assert.equal(gone.statusCode, 409);
  assert.equal(gone.json().error, 'a.png is no longer a file inside the opened folder; rescan the folder, then export');
});

test('images are served by id, with security headers, and unknown ids are 404', async () => {
  const { app } = await apiFixture();
  const image = await app.inject({ method: 'GET', url: '/api/cells/4/image', headers: LOCAL });
  assert.equal(image.statusCode, 200);
  assert.equal(image.headers['content-type'], 'image/png');
  assert.match(String(image.headers['content-security-policy']), /script-src 'self'/);
  assert.doesNotMatch(String(image.headers['content-security-policy']), /unsafe-inline/);
  assert.equal(image.headers['x-content-type-options'], 'nosniff');
  assert.equal((await app.inject({ method: 'GET', url: '/api/cells/99/image', headers: LOCAL })).statusCode, 404);
});

test('under a scheme the info names it, and the differential counts its categories with the class detail and exact intervals', async () => {
  const scheme = chooseScheme({ name: 'cool-warm', categories: [{ name: 'cool', classes: ['blue', 'green'], loinc: '12345-6' }, { name: 'warm', classes: ['red'] }] }, CLASSES);
  const { app } = await apiFixture({ scheme });
  const info = (await app.inject({ method: 'GET', url: '/api/info', headers: LOCAL })).json();
  assert.deepEqual(info.scheme, { name: 'cool-warm', categories: [{ name: 'cool', classes: ['blue', 'green'], loinc: '12345-6' }, { name: 'warm', classes: ['red'] }] });
  assert.deepEqual(info.non_white, []);
  const cells = (await app.inject({ method: 'GET', url: '/api/cells', headers: LOCAL })).json();
  assert.deepEqual(cells.map((cell: { group: string }) => cell.group), ['warm', 'cool', 'cool', 'cool']);
  // a.png (red) reviewed as green: it moves to cool, and into green's detail.
  await app.inject({ method: 'PUT', url: '/api/cells/1', headers: JSON_HEADERS, payload: { label: 'green', reviewer: 'Ann' } });
  const d = (await app.inject({ method: 'GET', url: '/api/differential', headers: LOCAL })).json();
  assert.equal(d.scheme, 'cool-warm');
  assert.equal(d.total, 4);
  const cool = d.categories[0];
  assert.deepEqual([cool.category, cool.count, cool.loinc], ['cool', 4, '12345-6']);
  assert.deepEqual(cool.classes.map((row: { class: string; count: number }) => [row.class, row.count]), [['blue', 2], ['green', 2]]);
  const { low, high } = clopperPearsonInterval(4, 4);
  assert.deepEqual([cool.ci_low, cool.ci_high], [low * 100, high * 100]);
  assert.deepEqual([d.categories[1].category, d.categories[1].count], ['warm', 0]);
  assert.equal(d.it_ratio, null, 'no I/T ratio without its four classes');
  const csv = parseCsv((await app.inject({ method: 'GET', url: '/api/export/differential.csv', headers: LOCAL })).body);
  assert.deepEqual(csv[0], ['category', 'class', 'count', 'percent', 'ci_low', 'ci_high', 'loinc']);
  assert.deepEqual(csv[1], ['cool', '', '4', '100.0', (low * 100).toFixed(2), (high * 100).toFixed(2), '12345-6']);
  assert.deepEqual(csv[3].slice(0, 3), ['cool', 'green', '2']);
  assert.deepEqual(csv.find((row) => row[0] === 'bin: smudge'), ['bin: smudge', '', '0', '', '', '', '']);
});
