import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { hasStackTrace } from '../helpers/cli';
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
