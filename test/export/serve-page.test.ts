import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { pageApp, servePage } from '../../src/export/serve-page';
import { CONTENT_SECURITY_POLICY } from '../../src/export/page-html';
import { saveModel } from '../../src/model/model-folder';
import { TINY_INPUT, TINY_NETWORK, tinyEngine } from '../helpers/engines';
import { assertCleanFailure, startWbc, wbc } from '../helpers/cli';
import { within } from '../helpers/deadline';
import { makeTempDir } from '../helpers/images';

const LOCAL = { host: '127.0.0.1:8000' };

/** A folder shaped like an exported page, beside a secret the server must never give out. */
function pageFolder(): { dir: string; page: string } {
  const dir = makeTempDir();
  const page = path.join(dir, 'page');
  const files: Record<string, string> = {
    'index.html': '<!doctype html><title>page</title>',
    'facts.json': '{"classes":["a"]}',
    'style.css': 'body {}',
    'model.onnx': 'onnx bytes',
    'ort/ort-wasm-simd-threaded.wasm': '\0asm',
    'ort/ort.wasm.bundle.min.mjs': 'export {}',
    'js/page/app.js': 'console.log(1)',
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(page, name)), { recursive: true });
    fs.writeFileSync(path.join(page, name), text);
  }
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret beside the page');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(page, 'link.txt'));
  return { dir, page };
}

test('the page\'s files come with their MIME types and the page\'s CSP; / is index.html', async () => {
  const app = pageApp(pageFolder().page);
  const expected: [string, string, string][] = [
    ['/', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/style.css', 'text/css; charset=utf-8', 'body'],
    ['/facts.json', 'application/json; charset=utf-8', '{"classes"'],
    ['/js/page/app.js', 'text/javascript; charset=utf-8', 'console'],
    ['/ort/ort.wasm.bundle.min.mjs', 'text/javascript; charset=utf-8', 'export'],
    ['/ort/ort-wasm-simd-threaded.wasm', 'application/wasm', '\0asm'],
    ['/model.onnx', 'application/octet-stream', 'onnx'],
    ['/js/page/app.js?v=2', 'text/javascript; charset=utf-8', 'console'],
  ];
  for (const [url, type, start] of expected) {
    const response = await app.inject({ method: 'GET', url, headers: LOCAL });
    assert.equal(response.statusCode, 200, url);
    assert.equal(response.headers['content-type'], type, url);
    assert.ok(response.body.startsWith(start), url);
    const csp = String(response.headers['content-security-policy']);
    assert.ok(csp.startsWith(CONTENT_SECURITY_POLICY) && csp.includes("connect-src 'self'"), csp);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  }
  await app.close();
});

test('no path from a request leaves the page: .., encoded slashes and dots, absolute paths, links and folders get 404', async () => {
  const app = pageApp(pageFolder().page);
  for (const url of [
    '/../secret.txt',
    '/js/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/js%2f..%2f..%2fsecret.txt',
    '/js%2Fpage%2Fapp.js',
    '//etc/passwd',
    '/etc/passwd',
    '/%2fetc%2fpasswd',
    '/link.txt',
    '/js/',
    '/js',
    '/ort/',
    '/index.html/',
    '/%00index.html',
    '/INDEX.HTML',
  ]) {
    const response = await app.inject({ method: 'GET', url, headers: LOCAL });
    assert.equal(response.statusCode, 404, `${url}: ${response.statusCode}`);
    assert.doesNotMatch(response.body, /secret|root:|<!doctype|console/, url);
  }
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    assert.equal((await app.inject({ method, url: '/index.html', headers: LOCAL, payload: 'x' })).statusCode, 404, method);
  }
  await app.close();
});

test('a request addressed to another host name is refused (DNS rebinding)', async () => {
  const app = pageApp(pageFolder().page);
  const response = await app.inject({ method: 'GET', url: '/', headers: { host: 'attacker.example:8000' } });
  assert.equal(response.statusCode, 403);
  assert.doesNotMatch(response.body, /<!doctype/);
  assert.equal((await app.inject({ method: 'GET', url: '/', headers: { host: 'localhost:8000' } })).statusCode, 200);
  await app.close();
});

/** Sends `request` as raw bytes, as a hostile client would (no URL normalisation), and returns the raw answer. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('on a real socket: listens on 127.0.0.1 only, and raw traversal and absolute-form requests get nothing', async () => {
  const { page } = pageFolder();
  const server = await servePage(page, { port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = Number(new URL(server.url).port);
    assert.equal((await fetch(server.url)).status, 200);
    const get = (target: string) => rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    assert.match(await get('/index.html'), /^HTTP\/1\.1 200 /);
    for (const target of ['/../secret.txt', '/js/../../secret.txt', '/..\\secret.txt', 'http://127.0.0.1/../secret.txt', '/%2e%2e%2fsecret.txt', '/ort/..%2f..%2fsecret.txt']) {
      const answer = await get(target);
      assert.match(answer, /^HTTP\/1\.1 (400|404) /, `${target}: ${answer.split('\r\n')[0]}`);
      assert.doesNotMatch(answer, /secret beside/, target);
    }
  } finally {
    await server.close();
  }
  await assert.rejects(servePage(path.join(page, 'js')), /not a page written by wbc export --web/);
  await assert.rejects(servePage(page, { port: 70000 }), /--port/);
});

test('wbc export --web --serve prints the URL, serves the page, and stops cleanly on Ctrl-C', async () => {
  const dir = makeTempDir();
  const model = path.join(dir, 'model');
  saveModel(model, { classes: ['a', 'b', 'c'], network: TINY_NETWORK, input: TINY_INPUT, testTimeViews: 1, reviewThreshold: 0.5 }, tinyEngine(1));
  const page = path.join(dir, 'page');
  assertCleanFailure(wbc(['export', model, '--onnx', path.join(dir, 'm.onnx'), '--serve']), /--serve serves the page/);
  assertCleanFailure(wbc(['export', model, '--web', page, '--port', '8001']), /--port is for --serve/);
  assertCleanFailure(wbc(['export', model, '--web', page, '--serve', '--port', '70000']), /--port/);
  assert.ok(!fs.existsSync(page) && !fs.existsSync(path.join(dir, 'm.onnx')), 'a refused command writes nothing');

  const running = startWbc(['export', model, '--web', page, '--serve', '--port', '0']);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    running.child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (found) resolve(found[0]);
    });
    void running.finished.then((result) => reject(new Error(`ended early: ${result.stderr}`)));
  });
  const index = await fetch(url);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /White blood cell classifier/);
  const wasm = await fetch(`${url}ort/ort-wasm-simd-threaded.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.ok((await wasm.arrayBuffer()).byteLength > 1_000_000);
  // A browser's spare connection, open without a request: the stop once waited for it forever.
  const spare = net.connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise((resolve) => spare.once('connect', resolve));
  running.child.kill('SIGINT');
  const result = await within(running.finished, 20_000, 'wbc export --serve did not stop').finally(() => spare.destroy());
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
});
