import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { classify } from '../../src/classifier/classify';
import { openClassifier } from '../../src/classifier/open-classifier';
import { listImages } from '../../src/data/image-folder';
import { saveModel } from '../../src/model/model-folder';
import { WbcError } from '../../src/util/errors';
import { TINY_INPUT, TINY_NETWORK, randomBatch, step, tinyEngine } from '../helpers/engines';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

async function fixture(): Promise<{ model: string; labelled: string }> {
  const work = makeTempDir();
  const model = path.join(work, 'model');
  const engine = tinyEngine(3);
  for (let i = 0; i < 3; i += 1) await step(engine, randomBatch(6, i));
  saveModel(model, { classes: ['blue', 'green', 'red'], network: TINY_NETWORK, input: TINY_INPUT, testTimeViews: 4, reviewThreshold: 0.5 }, engine);
  const labelled = path.join(work, 'labelled');
  await makeLabelledFolder(labelled, 8);
  return { model, labelled };
}

test('one open classifier answers classify() and evaluate() again and again, as the one-shot functions do', async () => {
  const { model, labelled } = await fixture();
  const classifier = await openClassifier(model, { engine: 'libtorch', precision: 'fp32', threads: 1 });
  try {
    const files = listImages(labelled);
    const first = await classifier.classify(files, { root: labelled });
    const again = await classifier.classify(files, { root: labelled, chunkSize: 5 });
    assert.deepEqual(again.predictions.map((p) => [p.file, p.prediction]), first.predictions.map((p) => [p.file, p.prediction]));
    const oneShot = await classify(model, labelled, { engine: 'libtorch', precision: 'fp32', threads: 1 });
    assert.deepEqual(oneShot.predictions, first.predictions);
    assert.equal(first.predictions.length, 24);

    const whole = await classifier.evaluate(labelled, { cacheDir: null });
    const chunked = await classifier.evaluate(labelled, { cacheDir: null, chunkSize: 5 });
    assert.equal(whole.scored, 24);
    assert.deepEqual(chunked.metrics, whole.metrics, 'chunks of 5 images score as one batch does');
    assert.deepEqual(chunked.images.map((image) => image.file), whole.images.map((image) => image.file));
    chunked.images.forEach((image, i) => assert.ok(Math.abs(image.confidence - whole.images[i].confidence) < 1e-5, image.file));
  } finally {
    await classifier.close();
  }
  await assert.rejects(classifier.classify([]), (error: unknown) => error instanceof WbcError && /closed/.test(error.message));
});

test('bad options are refused in one line before anything loads', async () => {
  await assert.rejects(openClassifier('/nonexistent', { views: 3 as unknown as 8 }), (error: unknown) => error instanceof WbcError && /--tta/.test(error.message));
  await assert.rejects(openClassifier('/nonexistent', { engine: 'onnx', device: 'cuda' }), /--engine onnx runs on the CPU/);
  await assert.rejects(openClassifier('/nonexistent'), /no such model folder/);
});

test('an aborted signal stops classify() between chunks, and the classifier still closes', async () => {
  const { model, labelled } = await fixture();
  const classifier = await openClassifier(model, { engine: 'onnx', threads: 1 });
  try {
    const stop = new AbortController();
    const seen: number[] = [];
    const stopped = classifier.classify(listImages(labelled), {
      chunkSize: 5,
      signal: stop.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done === 3) stop.abort(new WbcError('stopped on request'));
      },
    });
    await assert.rejects(stopped, /stopped on request/);
    assert.equal(Math.max(...seen), 5, 'the chunk under way was finished, the next one never begun');
    await assert.rejects(classifier.classify([], { signal: 'stop' as unknown as AbortSignal }), /signal must be an AbortSignal/);
  } finally {
    await classifier.close();
  }
});
