import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { API, BODY_LIMIT_BYTES, MAX_COMMENT_LENGTH, type Route } from '../../src/serve/api-schemas';
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
    if (!type.endsWith('json')) return { status, body: undefined };
    // JSON of its own media type (application/fhir+json): checked against that type's schema.
    const body = response.json() as unknown;
    const problems = [...Value.Errors((declared.content[type] as { schema: TSchema }).schema, body)].map((error) => `${error.path} ${error.message}`);
    assert.deepEqual(problems, [], `${route} ${status} does not match its schema: ${response.body.slice(0, 500)}`);
    return { status, body };
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

/**
 * The routes of one review, called under an API base (/api, or /api/cases/:case with `caseId`): successes,
 * refusals, then sign-off and what it freezes. Each answer is checked against the route's schema.
 */
async function exerciseReview(fixture: ApiFixture, base: '/api' | '/api/cases/:case', caseId = '1'): Promise<void> {
  const route = (methodAndPath: string) => {
    const [method, path] = methodAndPath.split(' ');
    return `${method} ${base}${path}` as Route;
  };
  const at = (path: string) => `${base.replace(':case', caseId)}${path}`;
  const info = await call(fixture, route('GET /info'), { url: at('/info') });
  assert.deepEqual((info.body as { classes: string[] }).classes, fixture.context.classes);
  assert.equal((await call(fixture, route('GET /progress'), { url: at('/progress') })).status, 200);
  const cells = (await call(fixture, route('GET /cells'), { url: at('/cells') })).body as { out_of_scope_score: number | null }[];
  assert.deepEqual(cells.map((cell) => cell.out_of_scope_score), [null, null, null, null, 0.93]);
  assert.equal((await call(fixture, route('GET /cells/:id'), { url: at('/cells/5') })).status, 200);
  assert.equal((await call(fixture, route('GET /cells/:id/image'), { url: at('/cells/1/image') })).status, 200);
  assert.equal((await call(fixture, route('GET /sign-off'), { url: at('/sign-off') })).body, null);
  assert.equal((await call(fixture, route('GET /comment'), { url: at('/comment') })).body, null);
  assert.equal((await call(fixture, route('POST /export/labelled-folder'), { url: at('/export/labelled-folder'), payload: {} })).status, 409, 'nothing reviewed yet');
  assert.equal((await call(fixture, route('PUT /cells/:id'), { url: at('/cells/1'), payload: { label: 'green', reviewer: 'Ann' } })).status, 200);
  assert.equal((await call(fixture, route('PUT /cells'), { url: at('/cells'), payload: { reviewer: 'Ann Tech', ids: [2, 3], label: 'smudge' } })).status, 200);
  assert.equal((await call(fixture, route('PUT /cells/:id/comment'), { url: at('/cells/2/comment'), payload: { comment: 'smudged\nsee slide', reviewer: 'Ann' } })).status, 200);
  assert.equal((await call(fixture, route('PUT /comment'), { url: at('/comment'), payload: { comment: 'Smudge cells present.', reviewer: 'Ann' } })).status, 200);
  assert.equal((await call(fixture, route('GET /differential'), { url: at('/differential') })).status, 200);
  assert.equal((await call(fixture, route('GET /audit'), { url: at('/audit') })).status, 200);
  assert.equal((await call(fixture, route('GET /export/predictions.csv'), { url: at('/export/predictions.csv') })).status, 200);
  assert.equal((await call(fixture, route('GET /export/differential.csv'), { url: at('/export/differential.csv') })).status, 200);
  assert.equal((await call(fixture, route('GET /fhir'), { url: at('/fhir') })).status, 200);
  assert.equal((await call(fixture, route('POST /export/labelled-folder'), { url: at('/export/labelled-folder'), payload: {} })).status, 200);
  assert.equal((await call(fixture, route('POST /rescan'), { url: at('/rescan'), payload: {} })).status, 200);

  // Refused requests.
  assert.equal((await call(fixture, route('GET /cells/:id'), { url: at('/cells/abc') })).status, 400);
  assert.equal((await call(fixture, route('GET /cells/:id/image'), { url: at('/cells/0/image') })).status, 400);
  assert.equal((await call(fixture, route('PUT /cells/:id'), { url: at('/cells/1'), payload: { reviewer: 'Ann Tech', label: 'platelet' } })).status, 400);
  assert.equal((await call(fixture, route('PUT /cells'), { url: at('/cells'), payload: { reviewer: 'Ann Tech', ids: ['1'], label: 'red' } })).status, 400);
  assert.equal((await call(fixture, route('PUT /cells/:id/comment'), { url: at('/cells/1/comment'), payload: { reviewer: 'Ann', comment: 'a\u0007b' } })).status, 400);
  assert.equal((await call(fixture, route('PUT /comment'), { url: at('/comment'), payload: { reviewer: 'Ann', comment: 'x'.repeat(MAX_COMMENT_LENGTH + 1) } })).status, 400);
  assert.equal((await call(fixture, route('PUT /comment'), { url: at('/comment'), payload: { reviewer: ' ', comment: 'x' } })).status, 400);
  assert.equal((await call(fixture, route('POST /sign-off'), { url: at('/sign-off'), payload: {} })).status, 400);
  assert.equal((await call(fixture, route('POST /export/labelled-folder'), { url: at('/export/labelled-folder'), payload: { folder: '/tmp' } })).status, 400);
  assert.equal((await call(fixture, route('GET /cells/:id'), { url: at('/cells/99') })).status, 404);
  assert.equal((await call(fixture, route('GET /cells/:id/image'), { url: at('/cells/99/image') })).status, 404);
  assert.equal((await call(fixture, route('PUT /cells/:id'), { url: at('/cells/99'), payload: { reviewer: 'Ann Tech', label: 'red' } })).status, 404);
  assert.equal((await call(fixture, route('PUT /cells'), { url: at('/cells'), payload: { reviewer: 'Ann Tech', ids: [1, 99], label: 'red' } })).status, 404);
  assert.equal((await call(fixture, route('PUT /cells/:id/comment'), { url: at('/cells/99/comment'), payload: { reviewer: 'Ann', comment: 'x' } })).status, 404);
  const oversized = { label: 'red', reviewer: 'x'.repeat(BODY_LIMIT_BYTES) };
  for (const path of ['PUT /cells/:id', 'PUT /cells', 'PUT /cells/:id/comment', 'PUT /comment', 'POST /sign-off', 'POST /export/labelled-folder', 'POST /rescan']) {
    const url = at(path.split(' ')[1].replace(':id', '1'));
    assert.equal((await call(fixture, route(path), { url, payload: oversized })).status, 413, path);
    assert.equal((await call(fixture, route(path), { url, payload: 'label=red', headers: { ...LOCAL, 'content-type': 'application/x-www-form-urlencoded' } })).status, 415, path);
  }

  // Sign-off (once every flagged cell is reviewed), then the changes it refuses.
  const ids = ((await call(fixture, route('GET /cells'), { url: at('/cells') })).body as { id: number }[]).map((cell) => cell.id);
  assert.equal((await call(fixture, route('PUT /cells'), { url: at('/cells'), payload: { reviewer: 'Ann Tech', ids, label: 'red' } })).status, 200);
  assert.equal((await call(fixture, route('POST /sign-off'), { url: at('/sign-off'), payload: { name: 'Dr Lee' } })).status, 200);
  assert.equal((await call(fixture, route('GET /sign-off'), { url: at('/sign-off') })).status, 200);
  assert.equal((await call(fixture, route('POST /sign-off'), { url: at('/sign-off'), payload: { name: 'Someone' } })).status, 409);
  assert.equal((await call(fixture, route('PUT /cells/:id'), { url: at('/cells/1'), payload: { reviewer: 'Ann Tech', label: 'red' } })).status, 409);
  assert.equal((await call(fixture, route('PUT /cells'), { url: at('/cells'), payload: { reviewer: 'Ann Tech', ids: [1], label: 'red' } })).status, 409);
  assert.equal((await call(fixture, route('PUT /cells/:id/comment'), { url: at('/cells/1/comment'), payload: { reviewer: 'Ann', comment: 'late' } })).status, 409);
  assert.equal((await call(fixture, route('PUT /comment'), { url: at('/comment'), payload: { reviewer: 'Ann', comment: 'late' } })).status, 409);
  assert.equal((await call(fixture, route('POST /rescan'), { url: at('/rescan'), payload: {} })).status, 409);
  assert.equal((await call(fixture, route('GET /info'), { url: at('/info') })).status, 200, 'with its sign-off');
  assert.equal((await call(fixture, route('GET /fhir'), { url: at('/fhir') })).status, 200, 'final');
}

test('every route answers what its schema declares, successes and errors alike', async () => {
  checked.clear();
  for (const base of ['/api', '/api/cases/:case'] as const) {
    const fixture = await apiFixture();
    fixture.store.addPredictions([prediction('a-copy.png', 'red', 0.7, { outOfScope: true, outOfScopeScore: 0.93 })]);
    await exerciseReview(fixture, base);
  }
  const fixture = await apiFixture();
  for (const route of ['GET /', 'GET /report', 'GET /style.css', 'GET /app.js', 'GET /report.js', 'GET /api.js', 'GET /undo-history.js', 'GET /worklist.js', 'GET /comments.js'] as Route[]) {
    assert.equal((await call(fixture, route)).status, 200, route);
  }
  for (const route of ['GET /cases/:case/', 'GET /cases/:case/report'] as Route[]) {
    assert.equal((await call(fixture, route, { url: route.split(' ')[1].replace(':case', '1') })).status, 200, route);
    assert.equal((await call(fixture, route, { url: route.split(' ')[1].replace(':case', '2') })).status, 404, route);
    assert.equal((await call(fixture, route, { url: route.split(' ')[1].replace(':case', 'x1') })).status, 400, route);
  }
  assert.equal((await call(fixture, 'GET /api/openapi.json')).status, 200);
  assert.deepEqual(((await call(fixture, 'GET /api/cases')).body as { id: number; name: string }[]).map((c) => [c.id, c.name]), [[1, 'images']]);
  // A case id that is not one: 400 for what is not a number, 404 for a number that is no case.
  for (const bad of ['0', 'abc', '1.5', '..%2F..', '-1', '99999999999']) {
    assert.equal((await call(fixture, 'GET /api/cases/:case/cells', { url: `/api/cases/${bad}/cells` })).status, 400, bad);
  }
  assert.equal((await call(fixture, 'GET /api/cases/:case/cells', { url: '/api/cases/2/cells' })).status, 404);
  assert.equal((await call(fixture, 'PUT /api/cases/:case/comment', { url: '/api/cases/2/comment', payload: { reviewer: 'Ann', comment: 'x' } })).status, 404);

  // The security checks answer on every route, in the shape each route declares.
  const open = await apiFixture({ token: TOKEN, loopbackOnly: false });
  for (const route of ROUTES) {
    const url = route.split(' ')[1].replace(':id', '1').replace(':case', '1');
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
