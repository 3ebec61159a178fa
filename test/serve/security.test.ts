import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BODY_LIMIT_BYTES } from '../../src/serve/api-schemas';
import { apiFixture, prediction } from './fixture';

const LOCAL = { host: '127.0.0.1:8080' };
const JSON_HEADERS = { ...LOCAL, 'content-type': 'application/json' };

test('paths from the client never reach the file system: traversal in URLs is refused', async () => {
  const { app } = await apiFixture();
  for (const url of [
    '/api/cells/..%2F..%2Fetc%2Fpasswd/image',
    '/api/cells/../../etc/passwd',
    '/api/cells/1/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/api/cells/-1/image',
    '/api/cells/1e3/image',
    '/../package.json',
    '/style.css/../../package.json',
  ]) {
    const response = await app.inject({ method: 'GET', url, headers: LOCAL });
    assert.ok([400, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
    assert.doesNotMatch(response.body, /root:|wbc-classifier/, url);
  }
});

test('a stored file that leads outside the folder (a .. name or a link) is not served', async () => {
  const { app, store, imageDir, dir } = await apiFixture();
  fs.writeFileSync(path.join(dir, 'secret.png'), 'not for the browser');
  fs.symlinkSync(path.join(dir, 'secret.png'), path.join(imageDir, 'link.png'));
  store.addPredictions([prediction('../secret.png', 'red', 0.9), prediction('link.png', 'red', 0.9)]);
  for (const id of [5, 6]) {
    const response = await app.inject({ method: 'GET', url: `/api/cells/${id}/image`, headers: LOCAL });
    assert.equal(response.statusCode, 404, `cell ${id}`);
  }
  await app.inject({ method: 'PUT', url: '/api/cells/6', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', label: 'red' } });
  const exported = await app.inject({ method: 'POST', url: '/api/export/labelled-folder', headers: JSON_HEADERS, payload: {} });
  assert.equal(exported.statusCode, 409, 'a link out of the folder is not exported either');
});

test('labels only from the known set; malformed, oversized and extra-field bodies are refused', async () => {
  const { app, store } = await apiFixture();
  const put = (payload: string, headers: Record<string, string> = JSON_HEADERS) =>
    app.inject({ method: 'PUT', url: '/api/cells/1', headers, payload });
  const cases: [string, string, number][] = [
    ['unknown label', JSON.stringify({ label: 'platelet' }), 400],
    ['label of the wrong type', JSON.stringify({ label: 3 }), 400],
    ['label as a list', JSON.stringify({ label: ['red'] }), 400],
    ['no label', JSON.stringify({}), 400],
    ['extra field', JSON.stringify({ label: 'red', path: '/etc/passwd' }), 400],
    ['reviewer too long', JSON.stringify({ label: 'red', reviewer: 'x'.repeat(101) }), 400],
    ['not JSON', '{"label": "red"', 400],
    ['a JSON string', '"red"', 400],
    ['oversized', JSON.stringify({ label: 'red', reviewer: 'x'.repeat(BODY_LIMIT_BYTES) }), 413],
  ];
  for (const [what, payload, status] of cases) {
    const response = await put(payload);
    assert.equal(response.statusCode, status, `${what}: ${response.body}`);
    assert.equal(typeof response.json().error, 'string', what);
  }
  assert.equal((await put('label=red', { ...LOCAL, 'content-type': 'application/x-www-form-urlencoded' })).statusCode, 415);
  const batch = await app.inject({ method: 'PUT', url: '/api/cells', headers: JSON_HEADERS, payload: { reviewer: 'Ann Tech', ids: ['1'], label: 'red' } });
  assert.equal(batch.statusCode, 400);
  assert.equal(store.audit().length, 0, 'no refused request changed anything');
  assert.ok(store.cells().every((cell) => cell.label === null));
});

test('bound beyond loopback, every request needs the token', async () => {
  const token = 'a-long-enough-token-0123456789';
  const { app, store } = await apiFixture({ token, loopbackOnly: false });
  const host = { host: '192.168.1.20:8080' };
  for (const url of ['/', '/app.js', '/api/cells', '/api/cells/1/image', '/api/export/predictions.csv']) {
    const missing = await app.inject({ method: 'GET', url, headers: host });
    assert.equal(missing.statusCode, 401, `${url} without a token`);
    const wrong = await app.inject({ method: 'GET', url, headers: { ...host, authorization: `Bearer ${token}x` } });
    assert.equal(wrong.statusCode, 401, `${url} with a wrong token`);
    const right = await app.inject({ method: 'GET', url, headers: { ...host, authorization: `Bearer ${token}` } });
    assert.equal(right.statusCode, 200, `${url} with the token`);
  }
  const put = await app.inject({ method: 'PUT', url: '/api/cells/1', headers: { ...host, 'content-type': 'application/json', authorization: 'Bearer nope' }, payload: { reviewer: 'Ann Tech', label: 'red' } });
  assert.equal(put.statusCode, 401);
  assert.equal(store.cell(1)!.label, null);
  // A browser opens the printed URL once and keeps the token as an HttpOnly, same-site cookie.
  const opened = await app.inject({ method: 'GET', url: `/?token=${token}`, headers: host });
  assert.equal(opened.statusCode, 303);
  const cookie = String(opened.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const withCookie = await app.inject({ method: 'GET', url: '/api/cells', headers: { ...host, cookie: cookie.split(';')[0] } });
  assert.equal(withCookie.statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/?token=wrong', headers: host })).statusCode, 401);
});

test('on loopback, requests addressed to another host name are refused (DNS rebinding)', async () => {
  const { app } = await apiFixture();
  assert.equal((await app.inject({ method: 'GET', url: '/api/cells', headers: { host: 'attacker.example:8080' } })).statusCode, 403);
  assert.equal((await app.inject({ method: 'GET', url: '/api/cells', headers: { host: 'localhost:8080' } })).statusCode, 200);
});

test('the page has no inline script and loads nothing from elsewhere', async () => {
  const { app } = await apiFixture();
  for (const url of ['/', '/report']) {
    const page = await app.inject({ method: 'GET', url, headers: LOCAL });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, `${url} has an inline script`);
    assert.doesNotMatch(page.body, /\b(src|href)="(https?:)?\/\//, `${url} loads from elsewhere`);
    assert.doesNotMatch(page.body, /style="/);
  }
  for (const url of ['/app.js', '/api.js', '/undo-history.js', '/report.js', '/style.css']) {
    const file = await app.inject({ method: 'GET', url, headers: LOCAL });
    assert.equal(file.statusCode, 200, url);
    assert.doesNotMatch(file.body, /https?:\/\/(?!www\.w3\.org)/, `${url} refers to the internet`);
  }
});
