import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { stopWorker } from '../../src/util/worker-stop';

function inlineWorker(source: string): Worker {
  return new Worker(`const { parentPort } = require('node:worker_threads');\n${source}`, { eval: true });
}

test('a worker that leaves when asked exits on its own, unterminated', async () => {
  const worker = inlineWorker(`parentPort.on('message', (m) => { if (m.type === 'stop') setTimeout(() => parentPort.close(), 50); });`);
  let code: number | undefined;
  worker.on('exit', (c) => { code = c; });
  assert.equal(await stopWorker(worker, { type: 'stop' }, 5000), 'exited');
  assert.equal(code, 0, 'exit code 0: terminate() would give 1');
  assert.equal(await stopWorker(worker, { type: 'stop' }, 5000), 'exited', 'asking an ended worker again answers at once');
});

test('a worker that ignores the request is terminated after the grace period', async () => {
  const worker = inlineWorker(`parentPort.on('message', () => undefined);`);
  const started = Date.now();
  assert.equal(await stopWorker(worker, { type: 'stop' }, 200), 'terminated');
  assert.ok(Date.now() - started >= 190, 'it waited for the grace period first');
  assert.equal(worker.threadId, -1);
});
