import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { endSilentConnections } from '../../src/util/silent-connections';
import { within } from '../helpers/deadline';

test('a connection that sends nothing is ended after the silence allowed; a slow answer to a request is not cut', async () => {
  const app = Fastify();
  endSilentConnections(app, false, 300);
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 900));
    return 'done';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  const sockets: net.Socket[] = [];
  try {
    const opened = Date.now();
    const silent = net.connect(port, '127.0.0.1');
    sockets.push(silent);
    await within(new Promise((resolve) => silent.once('close', resolve)), 5_000, 'the silent connection was not ended');
    assert.ok(Date.now() - opened >= 250, `ended after ${Date.now() - opened} ms, before its silence was up`);

    const asking = net.connect(port, '127.0.0.1', () => asking.write(`GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    sockets.push(asking);
    let answer = '';
    asking.on('data', (chunk: Buffer) => { answer += chunk.toString(); });
    await within(new Promise((resolve) => asking.once('close', resolve)), 5_000, 'no answer');
    assert.match(answer, /^HTTP\/1\.1 200 [\s\S]*done$/);
  } finally {
    for (const socket of sockets) socket.destroy();
    await app.close();
  }
});
