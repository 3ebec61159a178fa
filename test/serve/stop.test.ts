import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { hasStackTrace } from '../helpers/cli';
import { within } from '../helpers/deadline';
import { apiFixture } from './fixture';
import { makeServedFolder, startServer } from './served-folder';

// A CI run once died here with "terminate called after throwing an instance of 'Napi::Error'": the worker
// thread was terminated under native work. It is now asked to stop and ends by itself.
test('SIGTERM while the folder is being classified ends wbc serve with status 0, never an abort', async () => {
  const { model, images, dir } = await makeServedFolder(40);
  let stoppedWhileClassifying = 0;
  const delaysMs = [0, 20, 50, 100, 200, 400];
  for (const [run, delayMs] of delaysMs.entries()) {
    // A new review each time, so that every start classifies the whole folder again.
    const { cli, url } = await startServer([model, images, '--db', path.join(dir, `review-${run}.sqlite`)]);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const progress = await (await fetch(`${url}api/progress`)).json();
    cli.child.kill('SIGTERM');
    const ended = await cli.finished;
    const context = `stopped ${delayMs} ms after start (${progress.state}); stderr: ${ended.stderr}`;
    assert.equal(ended.signal, null, context);
    assert.equal(ended.status, 0, context);
    assert.doesNotMatch(ended.stderr, /terminate called|Napi::Error|Aborted|was terminated/, context);
    assert.ok(!hasStackTrace(ended.stderr), context);
    if (progress.state === 'classifying') stoppedWhileClassifying += 1;
  }
  assert.ok(stoppedWhileClassifying >= 2, `only ${stoppedWhileClassifying} of ${delaysMs.length} stops came during classification`);
});

// Stopping waits for every connection to end. Fastify keeps one alive for 72 s after its last answer, and
// Node counted a connection that never sent a request as busy: a browser's spare connection held a test's
// server (CI: "the report counts label changes…" timed out at 120 s) and would hold `wbc serve` forever.
test('stopping waits for the answers under way, not for the browser to drop its connections', { timeout: 60_000 }, async () => {
  const { app } = await apiFixture();
  let bothArrived!: () => void;
  let release!: () => void;
  const underWay = new Promise<void>((resolve) => { bothArrived = resolve; });
  let toArrive = 2;
  const arrived = () => { toArrive -= 1; if (toArrive === 0) bothArrived(); };
  const released = new Promise<void>((resolve) => { release = resolve; });
  app.get('/test-slow', async () => {
    arrived();
    await released;
    return { ok: true };
  });
  // Its headers go out before the stop begins; its body ends after.
  app.get('/test-streamed', (_request, reply) => {
    const body = new PassThrough();
    body.write('{"ok":');
    arrived();
    void released.then(() => body.end('true}'));
    return reply.type('application/json').send(body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  const agent = new http.Agent({ keepAlive: true });
  const spare = net.connect(port, '127.0.0.1');
  const spareClosed = new Promise((resolve) => spare.once('close', resolve));
  await new Promise((resolve) => spare.once('connect', resolve));
  try {
    const answers = ['/test-slow', '/test-streamed'].map((route) => new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: route, agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response));
      }).on('error', reject);
    }));
    await underWay;
    const stopped = app.close();
    // The answers end once the server has stopped listening, its connections still open.
    while (app.server.listening) await new Promise((resolve) => setTimeout(resolve, 1));
    release();
    const [slow, streamed] = await Promise.all(answers);
    assert.equal(slow.statusCode, 200);
    assert.equal(slow.headers.connection, 'close', 'an answer sent while stopping says so');
    assert.equal(streamed.statusCode, 200);
    await within(stopped, 10_000, 'the server did not stop');
    await spareClosed;
  } finally {
    agent.destroy();
    spare.destroy();
  }
});
