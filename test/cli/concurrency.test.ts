import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseCsv } from '../../src/classify/csv';
import { startWbc, wbc } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const RUN = ['--size', '16', '--width', '4', '--epochs', '8', '--no-cache', '--tta', '1', '--threads', '1'];

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

describe('concurrent runs never leave a mixed or partial file', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(data, 40);
    const trained = wbc(['train', data, '--out', model, ...RUN]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  test('two classify runs writing the same CSV leave one of their outputs, whole', async () => {
    // Different folders, so that each run's output is recognisable and a mix of the two is not either.
    const folders = [path.join(data, 'red'), path.join(data, 'blue')];
    const alone = folders.map((folder, i) => {
      const out = path.join(work, `alone-${i}.csv`);
      assert.equal(wbc(['classify', model, folder, '--out', out, '--threads', '1']).status, 0);
      return [fs.readFileSync(out, 'utf8'), fs.readFileSync(out.replace(/\.csv$/, '-differential.csv'), 'utf8')];
    });
    const shared = path.join(work, 'shared', 'predictions.csv');
    fs.mkdirSync(path.dirname(shared));
    for (let round = 0; round < 3; round += 1) {
      const runs = folders.map((folder) => startWbc(['classify', model, folder, '--out', shared, '--threads', '1']));
      for (const run of runs) assert.equal((await run.finished).status, 0);
      const csv = fs.readFileSync(shared, 'utf8');
      assert.ok(alone.some(([expected]) => csv === expected), 'the CSV is one run\'s complete output');
      assert.equal(parseCsv(csv).length, 1 + 40);
      const differential = fs.readFileSync(shared.replace(/\.csv$/, '-differential.csv'), 'utf8');
      assert.ok(alone.some(([, expected]) => differential === expected), 'the differential is one run\'s complete output');
      assert.deepEqual(leftovers(path.dirname(shared)), []);
    }
  });

  test('classify while train --force replaces the model reads the old model or the new one, never a mix', async () => {
    const images = path.join(data, 'green');
    const classifyNow = async (out: string) => (await startWbc(['classify', model, images, '--out', out, '--threads', '1']).finished);
    const before = path.join(work, 'before.csv');
    assert.equal((await classifyNow(before)).status, 0);

    // The new model is trained on other class names and another seed, so the outputs differ in header and numbers.
    const renamed = path.join(work, 'renamed');
    for (const [from, to] of [['red', 'rot'], ['green', 'gruen'], ['blue', 'blau']]) fs.cpSync(path.join(data, from), path.join(renamed, to), { recursive: true });
    const training = startWbc(['train', renamed, '--out', model, '--force', '--seed', '2', ...RUN]);
    let done = false;
    void training.finished.then(() => { done = true; });
    const during: string[] = [];
    while (!done) {
      const out = path.join(work, `during-${during.length}.csv`);
      const result = await classifyNow(out);
      assert.equal(result.status, 0, result.stderr);
      during.push(fs.readFileSync(out, 'utf8'));
    }
    assert.equal((await training.finished).status, 0);
    const after = path.join(work, 'after.csv');
    assert.equal((await classifyNow(after)).status, 0);

    const outputs = [fs.readFileSync(before, 'utf8'), fs.readFileSync(after, 'utf8')];
    assert.notEqual(outputs[0], outputs[1]);
    for (const csv of during) assert.ok(outputs.includes(csv), `a classification during the replacement matched neither model:\n${csv.slice(0, 200)}`);
    assert.deepEqual(leftovers(model), []);
  });
});
