import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { API, BODY_LIMIT_BYTES, type Route } from '../../src/serve/api-schemas';
import { API_DOC, openApiDocument, renderApiDoc } from '../../src/serve/api-doc';
import { apiFixture, prediction, type ApiFixture } from './fixture';

const LOCAL = { host: '127.0.0.1:8080' };
const JSON_HEADERS = { ...LOCAL, 'content-type': 'application/json' };
const TOKEN = 'a-long-enough-token-0123456789';
const ROUTES = Object.keys(API) as Route[];

type Declared = TSchema | { description: string; content: Record<string, unknown> };

interface Call {
  url?: string;
  payload?: unknown;
  headers?: Record<string, string>;
}

/** Routes and status codes whose answers were checked, as "METHOD /url status". */
const checked = new Set<string>();

/**
 * Sends a request to a route and checks the answer against the route's schema for that status: JSON
 * answers with Value.Check, others by their media type. Returns the answer's status and JSON body.
 */
async function call(fixture: ApiFixture, route: Route, { url, payload, headers }: Call = {}): Promise<{ status: number; body: unknown }> {
  const [method, path] = route.split(' ') as ['GET' | 'PUT' | 'POST', string];
  const jsonBody = payload !== undefined && typeof payload !== 'string';
  const response = await fixture.app.inject({
    method,
    url: url ?? path,
    headers: headers ?? (payload === undefined ? LOCAL : JSON_HEADERS),
    payload: jsonBody ? JSON.stringify(payload) : (payload as string | undefined),
  });
  const status = response.statusCode;
  const declared = (API[route].response as Record<number, Declared>)[status];
  assert.ok(declared, `${route} answered ${status}, which its schema does not declare: ${response.body}`);
  checked.add(`${route} ${status}`);
  if ('content' in declared) {
    const type = String(response.headers['content-type']).split(';')[0];
    assert.ok(type in declared.content, `${route} ${status}: ${type} is not among ${Object.keys(declared.content).join(', ')}`);
    return { status, body: undefined };
  }
  if (status === 303) {
    assert.equal(response.body, '', `${route} 303 has no body`);
    return { status, body: undefined };
  }
  const body = response.json() as unknown;
  const problems = [...Value.Errors(declared, body)].map((error) => `${error.path} ${error.message}`);
  assert.deepEqual(problems, [], `${route} ${status} does not match its schema: ${response.body.slice(0, 500)}`);
  return { status, body };
}

test('GET /api/openapi.json describes exactly the routes the schemas declare, each with its answers', async () => {
  const fixture = await apiFixture();
  const { body } = await call(fixture, 'GET /api/openapi.json');
  const document = body as { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> };
  const described = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
  assert.deepEqual(described.sort(), [...ROUTES].sort());
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const success = operation.responses['200'];
      assert.ok(success?.content, `${method} ${path} describes what it answers`);
      for (const code of ['401', '403', '500']) assert.ok(operation.responses[code]?.content, `${method} ${path} describes its ${code}`);
    }
  }
});

test('docs/api.md is what npm run api-doc renders from the OpenAPI document (run it after changing a route)', async () => {
  assert.equal(fs.readFileSync(API_DOC, 'utf8'), renderApiDoc(await openApiDocument()), 'docs/api.md is out of date: run npm run api-doc');
});

test('every route answers what its schema declares, successes and errors alike', async () => {
  checked.clear();
  const fixture = await apiFixture();
  fixture.store.addPredictions([prediction('a-copy.png', 'red', 0.7, { outOfScope: true, outOfScopeScore: 0.93 })]);

  for (const route of ['GET /', 'GET /report', 'GET /style.css', 'GET /app.js', 'GET /report.js', 'GET /api.js', 'GET /undo-history.js'] as Route[]) {
    assert.equal((await call(fixture, route)).status, 200, route);
  }
  assert.equal((await call(fixture, 'GET /api/openapi.json')).status, 200);
  const info = await call(fixture, 'GET /api/info');
  assert.deepEqual((info.body as { classes: string[] }).classes, fixture.context.classes);
  assert.equal((await call(fixture, 'GET /api/progress')).status, 200);
  const cells = (await call(fixture, 'GET /api/cells')).body as { out_of_scope_score: number | null }[];
  assert.deepEqual(cells.map((cell) => cell.out_of_scope_score), [null, null, null, null, 0.93]);
  assert.equal((await call(fixture, 'GET /api/cells/:id', { url: '/api/cells/5' })).status, 200);
  assert.equal((await call(fixture, 'GET /api/cells/:id/image', { url: '/api/cells/1/image' })).status, 200);
  assert.equal((await call(fixture, 'GET /api/sign-off')).body, null);
  assert.equal((await call(fixture, 'POST /api/export/labelled-folder', { payload: {} })).status, 409, 'nothing reviewed yet');
  assert.equal((await call(fixture, 'PUT /api/cells/:id', { url: '/api/cells/1', payload: { label: 'green', reviewer: 'Ann' } })).status, 200);
  assert.equal((await call(fixture, 'PUT /api/cells', { payload: { reviewer: 'Ann Tech', ids: [2, 3], label: 'smudge' } })).status, 200);
  assert.equal((await call(fixture, 'GET /api/differential')).status, 200);
  assert.equal((await call(fixture, 'GET /api/audit')).status, 200);
  assert.equal((await call(fixture, 'GET /api/export/predictions.csv')).status, 200);
  assert.equal((await call(fixture, 'GET /api/export/differential.csv')).status, 200);
  assert.equal((await call(fixture, 'POST /api/export/labelled-folder', { payload: {} })).status, 200);
  assert.equal((await call(fixture, 'POST /api/rescan', { payload: {} })).status, 200);

  // Refused requests.
  assert.equal((await call(fixture, 'GET /api/cells/:id', { url: '/api/cells/abc' })).status, 400);
  assert.equal((await call(fixture, 'GET /api/cells/:id/image', { url: '/api/cells/0/image' })).status, 400);
  assert.equal((await call(fixture, 'PUT /api/cells/:id', { url: '/api/cells/1', payload: { reviewer: 'Ann Tech', label: 'platelet' } })).status, 400);
  assert.equal((await call(fixture, 'PUT /api/cells', { payload: { reviewer: 'Ann Tech', ids: ['1'], label: 'red' } })).status, 400);
  assert.equal((await call(fixture, 'POST /api/sign-off', { payload: {} })).status, 400);
  assert.equal((await call(fixture, 'POST /api/export/labelled-folder', { payload: { folder: '/tmp' } })).status, 400);
  assert.equal((await call(fixture, 'GET /api/cells/:id', { url: '/api/cells/99' })).status, 404);
  assert.equal((await call(fixture, 'GET /api/cells/:id/image', { url: '/api/cells/99/image' })).status, 404);
  assert.equal((await call(fixture, 'PUT /api/cells/:id', { url: '/api/cells/99', payload: { reviewer: 'Ann Tech', label: 'red' } })).status, 404);
  assert.equal((await call(fixture, 'PUT /api/cells', { payload: { reviewer: 'Ann Tech', ids: [1, 99], label: 'red' } })).status, 404);
  const oversized = { label: 'red', reviewer: 'x'.repeat(BODY_LIMIT_BYTES) };
  for (const route of ['PUT /api/cells/:id', 'PUT /api/cells', 'POST /api/sign-off', 'POST /api/export/labelled-folder', 'POST /api/rescan'] as Route[]) {
    const url = route === 'PUT /api/cells/:id' ? '/api/cells/1' : undefined;
    assert.equal((await call(fixture, route, { url, payload: oversized })).status, 413, route);
    assert.equal((await call(fixture, route, { url, payload: 'label=red', headers: { ...LOCAL, 'content-type': 'application/x-www-form-urlencoded' } })).status, 415, route);
  }

  // Sign-off (once every flagged cell is reviewed), then the changes it refuses.
  const ids = ((await call(fixture, 'GET /api/cells')).body as { id: number }[]).map((cell) => cell.id);
  assert.equal((await call(fixture, 'PUT /api/cells', { payload: { reviewer: 'Ann Tech', ids, label: 'red' } })).status, 200);
  assert.equal((await call(fixture, 'POST /api/sign-off', { payload: { name: 'Dr Lee' } })).status, 200);
  assert.equal((await call(fixture, 'GET /api/sign-off')).status, 200);
  assert.equal((await call(fixture, 'POST /api/sign-off', { payload: { name: 'Someone' } })).status, 409);
  assert.equal((await call(fixture, 'PUT /api/cells/:id', { url: '/api/cells/1', payload: { reviewer: 'Ann Tech', label: 'red' } })).status, 409);
  assert.equal((await call(fixture, 'PUT /api/cells', { payload: { reviewer: 'Ann Tech', ids: [1], label: 'red' } })).status, 409);
  assert.equal((await call(fixture, 'POST /api/rescan', { payload: {} })).status, 409);
  assert.equal((await call(fixture, 'GET /api/info')).status, 200, 'with its sign-off');

  // The security checks answer on every route, in the shape each route declares.
  const open = await apiFixture({ token: TOKEN, loopbackOnly: false });
  for (const route of ROUTES) {
    const url = route.split(' ')[1].replace(':id', '1');
    assert.equal((await call(fixture, route, { url, headers: { host: 'attacker.example:8080' } })).status, 403, route);
    assert.equal((await call(open, route, { url, headers: { host: '192.168.1.20:8080' } })).status, 401, route);
  }
  assert.equal((await call(open, 'GET /', { url: `/?token=${TOKEN}`, headers: { host: '192.168.1.20:8080' } })).status, 303);

  // A review still classifying, one whose classification failed, and a failure of the server itself.
  const classifying = await apiFixture({ progress: { state: 'classifying', done: 1, total: 4, skipped: 0, warnings: [] } });
  assert.equal((await call(classifying, 'POST /api/sign-off', { payload: { name: 'Dr Lee' } })).status, 409);
  const failed = await apiFixture({ progress: { state: 'failed', done: 1, total: 4, skipped: 1, warnings: ['x.png: not an image'], error: 'out of memory' } });
  assert.equal(((await call(failed, 'GET /api/progress')).body as { error: string }).error, 'out of memory');
  failed.store.close();
  assert.equal((await call(failed, 'GET /api/cells')).status, 500);

  for (const route of ROUTES) {
    assert.ok(checked.has(`${route} 200`), `${route} was checked with a success`);
    assert.ok(checked.has(`${route} 401`) && checked.has(`${route} 403`), `${route} was checked with the security answers`);
  }
});
