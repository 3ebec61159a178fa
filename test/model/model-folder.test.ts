import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadModel, saveModel, type ModelInfo } from '../../src/model/model-folder';
import { WbcError } from '../../src/util/errors';
import { TINY_INPUT, TINY_NETWORK, randomBatch, tinyEngine } from '../helpers/engines';
import { makeTempDir } from '../helpers/images';

/** The parts of a model description that loading reads; `classes` tells two models apart. */
function describeModel(classes: string[]): ModelInfo {
  return { format: 'wbc-classifier-model', version: 2, classes, network: TINY_NETWORK, input: TINY_INPUT, testTimeViews: 1, reviewThreshold: 0.5 };
}

const runtime = { device: 'cpu' as const, bfloat16: false };
const batch = randomBatch(4, 1);
const predictions = (engine: ReturnType<typeof tinyEngine>) => engine.predict(batch.pixels, batch.indices, null);

describe('model folders', () => {
  it('load the weights that model.json was written with', async () => {
    const dir = path.join(makeTempDir(), 'model');
    const engine = tinyEngine(1);
    saveModel(dir, describeModel(['a', 'b', 'c']), engine);
    const loaded = loadModel(dir, runtime);
    assert.deepEqual(loaded.info.classes, ['a', 'b', 'c']);
    assert.match(loaded.info.weightsSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(await predictions(loaded.engine), await predictions(engine));
  });

  it('never pair a model.json with weights written for another', () => {
    // The moment inside saveModel between its two renames: new weights, old description.
    const dir = path.join(makeTempDir(), 'model');
    saveModel(dir, describeModel(['old', 'b', 'c']), tinyEngine(1));
    tinyEngine(2).save(path.join(dir, 'weights.pt'), false);
    assert.throws(() => loadModel(dir, runtime), (error: unknown) =>
      error instanceof WbcError && /weights\.pt does not match model\.json \(the model folder is damaged, or still being replaced\)/.test(error.message));
  });

  it('wait for a replacement under way to finish, then load the new model whole', async () => {
    const dir = path.join(makeTempDir(), 'model');
    saveModel(dir, describeModel(['old', 'b', 'c']), tinyEngine(1));
    const replacement = path.join(path.dirname(dir), 'replacement');
    const newEngine = tinyEngine(2);
    saveModel(replacement, describeModel(['new', 'b', 'c']), newEngine);
    fs.copyFileSync(path.join(replacement, 'weights.pt'), path.join(dir, 'weights.pt'));
    // Another process finishes the replacement while this one is loading.
    const writer = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').renameSync(${JSON.stringify(path.join(replacement, 'model.json'))}, ${JSON.stringify(path.join(dir, 'model.json'))}), 300)`]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    await new Promise((resolve) => writer.on('spawn', resolve));
    const loaded = loadModel(dir, runtime);
    await exited;
    assert.deepEqual(loaded.info.classes, ['new', 'b', 'c']);
    assert.deepEqual(await predictions(loaded.engine), await predictions(newEngine));
  });

  it('still load a model written before model.json carried the weights\' hash', async () => {
    const dir = path.join(makeTempDir(), 'model');
    const engine = tinyEngine(3);
    saveModel(dir, describeModel(['a', 'b', 'c']), engine);
    const file = path.join(dir, 'model.json');
    const { weightsSha256: _, ...unhashed } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...unhashed, version: 1 }));
    assert.deepEqual(await predictions(loadModel(dir, runtime).engine), await predictions(engine));
  });

  it('refuse a current model whose hash was removed, so that other weights cannot be slipped in', () => {
    const dir = path.join(makeTempDir(), 'model');
    saveModel(dir, describeModel(['a', 'b', 'c']), tinyEngine(3));
    const file = path.join(dir, 'model.json');
    const { weightsSha256: _, ...unhashed } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(unhashed));
    assert.throws(() => loadModel(dir, runtime), /model\.json is damaged: weightsSha256 is missing/);
  });

  it('refuse an out-of-scope file that does not match model.json, or one outside the folder', () => {
    const dir = path.join(makeTempDir(), 'model');
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const info = { ...describeModel(['a', 'b', 'c']), outOfScope: { method: 'knn', file: 'out-of-scope.bin', sha256: '0'.repeat(64), featureSize: 4, neighbours: 1, threshold: 1, rate: 0.05, calibrationImages: 10 } } as ModelInfo;
    saveModel(dir, info, tinyEngine(1), [{ name: 'out-of-scope.bin', bytes }]);
    assert.throws(() => loadModel(dir, runtime), /out-of-scope\.bin does not match model\.json/);
    const outside = { ...info, outOfScope: { ...info.outOfScope!, file: '../elsewhere.bin' } };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...outside, version: 1, weightsSha256: undefined }));
    assert.throws(() => loadModel(dir, runtime), /outOfScope\.file must be a file name in the model folder/);
  });
});
