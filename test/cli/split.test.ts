import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { wbc } from '../helpers/cli';
import { makeTempDir, writeSolid } from '../helpers/images';

test('wbc split writes the same test images that wbc train holds out', async () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const colours: Record<string, [number, number, number]> = { a: [250, 0, 0], b: [0, 250, 0] };
  for (const [name, colour] of Object.entries(colours)) {
    for (let i = 0; i < 15; i += 1) await writeSolid(path.join(data, name, `${name}${i}.png`), 20, 20, [colour[0], colour[1], (i * 17) % 256]);
  }
  const out = path.join(work, 'split');
  const split = wbc(['split', data, '--out', out, '--seed', '7', '--test-fraction', '0.2']);
  assert.equal(split.status, 0, split.stderr);
  const listed = (side: string) => ['a', 'b'].flatMap((name) => fs.readdirSync(path.join(out, side, name)).map((f) => `${name}/${f}`)).sort();
  assert.equal(listed('test').length, 6); // 3 of each class's 15
  assert.equal(listed('train').length, 24);

  const model = path.join(work, 'model');
  const trained = wbc(['train', data, '--out', model, '--seed', '7', '--test-fraction', '0.2', '--size', '16', '--width', '4', '--epochs', '1', '--no-cache', '--tta', '1']);
  assert.equal(trained.status, 0, trained.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')).split;
  assert.deepEqual([...manifest.test].sort(), listed('test'));
  assert.deepEqual([...manifest.train, ...manifest.validation].sort(), listed('train'));

  const again = wbc(['split', data, '--out', out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /--force/);
});
