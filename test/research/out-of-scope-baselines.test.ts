import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { auroc, energyScores, maxSoftmaxScores } from '../../research/out-of-scope-baselines';

test('energy and max-softmax scores are higher for flat outputs than for peaked ones', () => {
  const logits = Float32Array.from([10, 0, 0, 0.1, 0, 0.05]);
  const energy = energyScores(logits, 3);
  assert.ok(energy[1] > energy[0]);
  const softmax = maxSoftmaxScores(Float32Array.from([0.98, 0.01, 0.01, 0.4, 0.3, 0.3]), 3);
  assert.ok(softmax[1] > softmax[0]);
});

test('AUROC is 1 for separated scores and 0.5 for identical ones (ties count half)', () => {
  assert.equal(auroc([3, 4], [1, 2]), 1);
  assert.equal(auroc([1, 2], [1, 2]), 0.5);
});
