import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { cpuHasNativeBfloat16 } from '../../src/native/runtime';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir } from '../helpers/images';

const RUN = ['--size', '16', '--width', '4', '--epochs', '2', '--no-cache', '--tta', '1', '--threads', '1'];

function precisionOf(model: string): string {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')).training.precision;
}

describe('--precision', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const hasBf16 = cpuHasNativeBfloat16();

  before(async () => {
    await makeLabelledFolder(data, 12);
  });

  test('fp32 and auto are recorded in model.json and shown by wbc info', () => {
    for (const [choice, expected] of [['fp32', 'fp32'], ['auto', hasBf16 ? 'bf16' : 'fp32']]) {
      const model = path.join(work, `model-${choice}`);
      const trained = wbc(['train', data, '--out', model, ...RUN, '--precision', choice]);
      assert.equal(trained.status, 0, trained.stderr);
      assert.equal(precisionOf(model), expected);
      assert.match(wbc(['info', model]).stdout, new RegExp(`, ${expected}, 1 threads`));
    }
  });

  test('bf16 trains on a CPU with bf16 and is one line elsewhere; an unknown precision is refused on every command', () => {
    const model = path.join(work, 'model-bf16');
    const trained = wbc(['train', data, '--out', model, ...RUN, '--precision', 'bf16']);
    if (hasBf16) {
      assert.equal(trained.status, 0, trained.stderr);
      assert.equal(precisionOf(model), 'bf16');
    } else {
      assertCleanFailure(trained, /--precision bf16 needs a CPU with bf16 instructions/);
    }
    const images = path.join(data, 'red');
    const model32 = path.join(work, 'model-fp32');
    for (const args of [['train', data, '--out', path.join(work, 'x')], ['evaluate', model32, data], ['classify', model32, images], ['serve', model32, images], ['report', model32, data, '--out', path.join(work, 'r.html')]]) {
      assertCleanFailure(wbc([...args, '--precision', 'half']), /--precision must be one of auto, fp32, bf16, got 'half'/);
    }
    assertCleanFailure(wbc(['classify', model32, images, '--engine', 'onnx', '--precision', 'bf16']), /--engine onnx runs in fp32/);
  });
});
