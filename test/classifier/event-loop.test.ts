import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { openClassifier } from '../../src/classifier/open-classifier';
import { listImages } from '../../src/data/image-folder';
import { networkSpec, storedSizeFor } from '../../src/model/architecture';
import { newEngine, saveModel } from '../../src/model/model-folder';
import type { EngineChoice } from '../../src/runtime/predictor';
import { TRAIN_DEFAULTS } from '../../src/train/options';
import { largestTimerGap } from '../helpers/event-loop';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const CLASSES = ['blue', 'green', 'red'];
/** The most a 10 ms timer may wait while the library works: what keeps a server or a progress bar responsive. */
const LARGEST_GAP_MS = 100;

/**
 * A model of the default shape (width, input size and crop) with untrained weights, scoring 4 test-time views:
 * each runtime call (LibTorch: one view of 300 images; ONNX Runtime: 32 images × 4 views) is a few hundred
 * milliseconds of network work on one thread, far beyond the allowed gap if it held the JavaScript thread.
 */
function savedModel(dir: string): string {
  const { inputSize, crop, width } = TRAIN_DEFAULTS;
  const input = { inputSize, storedSize: storedSizeFor(inputSize, crop), mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const network = networkSpec(width, CLASSES.length);
  const engine = newEngine(network, input, { device: 'cpu', bfloat16: false, seed: 1 });
  saveModel(dir, { classes: CLASSES, network, input, testTimeViews: 4, reviewThreshold: 0.5 }, engine);
  return dir;
}

async function checkEngine(engine: EngineChoice): Promise<void> {
  const work = makeTempDir();
  const model = savedModel(path.join(work, 'model'));
  const labelled = path.join(work, 'labelled');
  await makeLabelledFolder(labelled, 100);
  const classifier = await openClassifier(model, { engine, threads: 1, precision: 'fp32' });
  try {
    let scored = 0;
    const evaluating = await largestTimerGap(async () => {
      scored = (await classifier.evaluate(labelled, { cacheDir: null })).scored;
    });
    assert.equal(scored, 300);
    const files = listImages(labelled);
    let classified = 0;
    const classifying = await largestTimerGap(async () => {
      classified = (await classifier.classify(files)).predictions.length;
    });
    assert.equal(classified, 300);
    assert.ok(evaluating <= LARGEST_GAP_MS, `evaluate() held the event loop for ${evaluating.toFixed(0)} ms`);
    assert.ok(classifying <= LARGEST_GAP_MS, `classify() held the event loop for ${classifying.toFixed(0)} ms`);
  } finally {
    await classifier.close();
  }
}

test('a 10 ms timer keeps firing while evaluate() and classify() score 300 images with ONNX Runtime', () => checkEngine('onnx'));

// LibTorch's forward passes run in the addon's AsyncWorkers (about 0.6 s a view for 300 images here on the JavaScript thread before).
test('a 10 ms timer keeps firing while evaluate() and classify() score 300 images with LibTorch', () => checkEngine('libtorch'));
