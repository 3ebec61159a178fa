import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { classify } from '../../src/classifier/classify';
import { describeModel } from '../../src/cli/commands/info';
import { readModelInfo } from '../../src/model/model-folder';
import { train } from '../../src/train/train';
import { WbcError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const CASES = 300;
const CASE_LIMIT_MS = 5000;
const WEIRD_VALUES: unknown[] = [null, -1, 0, 1, 2, 3, 1.5, -0.5, 1e9, 1e300, '', 'text', [], {}, true, [1, 2, 3], [0, 0, 0], ['a', 'a']];

/** Every path into the object: keys and the first few elements of each list. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.slice(0, 3).map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key]))];
}

function mutate(info: Record<string, unknown>, rng: Rng): string {
  const paths = pathsOf(info).filter((p) => p.length > 0);
  const target = paths[rng.int(paths.length)];
  const parent = target.slice(0, -1).reduce<any>((node, key) => node[key], info);
  const key = target[target.length - 1];
  const kind = rng.int(4);
  if (kind === 0 && !Array.isArray(parent)) {
    delete parent[key];
    return `delete ${target.join('.')}`;
  }
  if (kind === 1 && Array.isArray(parent[key])) {
    if (rng.next() < 0.5) parent[key].pop(); else parent[key].push(parent[key][0] ?? 1);
    return `resize ${target.join('.')}`;
  }
  parent[key] = WEIRD_VALUES[rng.int(WEIRD_VALUES.length)];
  return `${target.join('.')} = ${JSON.stringify(parent[key])}`;
}

const work = makeTempDir();
const data = path.join(work, 'data');
const model = path.join(work, 'model');
let original = '';

before(async () => {
  await makeLabelledFolder(data, 8);
  await train(data, { out: model, inputSize: 16, width: 4, epochs: 1, testTimeViews: 1, cacheDir: null, threads: 1 });
  original = fs.readFileSync(path.join(model, 'model.json'), 'utf8');
});

test(`${CASES} mutated model.json files load and classify, or are refused in one line; none crashes or hangs`, async () => {
  const rng = new Rng(2024);
  const outcomes = { classified: 0, refused: 0 };
  for (let c = 0; c < CASES; c += 1) {
    const info = JSON.parse(original);
    const what = Array.from({ length: 1 + rng.int(2) }, () => mutate(info, rng)).join('; ');
    fs.writeFileSync(path.join(model, 'model.json'), JSON.stringify(info));
    const started = Date.now();
    try {
      describeModel(readModelInfo(model));
      await classify(model, path.join(data, 'red'), { threads: 1 });
      outcomes.classified += 1;
    } catch (error) {
      if (!(error instanceof WbcError)) assert.fail(`case ${c} (${what}): not a one-line refusal: ${(error as Error).stack}`);
      assert.ok(!error.message.includes('\n'), `case ${c} (${what}): ${error.message}`);
      outcomes.refused += 1;
    }
    assert.ok(Date.now() - started < CASE_LIMIT_MS, `case ${c} (${what}) took ${Date.now() - started} ms`);
  }
  // Both outcomes must occur, or the mutations missed either the checks or the harmless fields.
  assert.ok(outcomes.classified > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});
