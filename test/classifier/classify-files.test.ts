import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { classifyFiles } from '../../src/classifier/classify-files';
import type { Scoring } from '../../src/classifier/scoring';
import type { ModelInfo } from '../../src/model/model-folder';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import type { Trust } from '../../src/trust/trust-model';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const CLASSES = ['blue', 'green', 'red'];
const CHUNK = 10;

/** 60 small PNGs (makeLabelledFolder), in a fixed order. */
async function sixtyImages(): Promise<string[]> {
  const root = makeTempDir();
  await makeLabelledFolder(root, 20);
  return CLASSES.flatMap((name) => fs.readdirSync(path.join(root, name)).sort().map((file) => path.join(root, name, file)));
}

/** A Scoring without a model: `score` is the test's, answering each image as the first class. */
function fakeScoring(score: (count: number) => Promise<void>): Scoring {
  return {
    info: { classes: CLASSES, input: { storedSize: 24 } } as unknown as ModelInfo,
    trust: { views: 1, temperature: 1, reviewThreshold: 0.5 } as Trust,
    scheme: chooseScheme('nine', CLASSES),
    classReviewThreshold: 0.5,
    async score(_pixels, indices) {
      await score(indices.length);
      const probabilities = new Float32Array(indices.length * CLASSES.length);
      for (let i = 0; i < indices.length; i += 1) probabilities[i * CLASSES.length] = 1;
      return { probabilities, outOfScopeScores: null };
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('classifyFiles decodes the next chunk while it scores one, and answers every image in order', async () => {
  const files = await sixtyImages();
  let decoded = 0;
  // Each chunk's scoring waits until the next chunk's images are being decoded: without the overlap it never ends.
  const scoring = fakeScoring(async () => {
    const scoredUpTo = decoded;
    if (scoredUpTo < files.length) await until(() => decoded > scoredUpTo, `the chunk after image ${scoredUpTo} decodes while this one is scored`);
  });
  const result = await classifyFiles(scoring, files, { chunkSize: CHUNK, onProgress: (done) => { decoded = Math.max(decoded, done); } });
  assert.deepEqual(result.predictions.map((p) => p.file), files);
  assert.deepEqual(result.skipped, []);
});

test('classifyFiles settles only once the chunk it was decoding ahead is done, when scoring fails', async () => {
  const files = await sixtyImages();
  let decoded = 0;
  const scoring = fakeScoring(async () => {
    throw new Error('scoring failed');
  });
  await assert.rejects(classifyFiles(scoring, files, { chunkSize: CHUNK, onProgress: (done) => { decoded = Math.max(decoded, done); } }), /scoring failed/);
  // The first chunk's scoring failed while the second chunk was decoding: that decoding ended before the rejection.
  assert.equal(decoded, 2 * CHUNK);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(decoded, 2 * CHUNK, 'nothing decodes after classifyFiles settled');
});
