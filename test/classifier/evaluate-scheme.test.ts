import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { evaluateFolder } from '../../src/classifier/evaluate-folder';
import type { Scoring } from '../../src/classifier/scoring';
import type { ModelInfo } from '../../src/model/model-folder';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { makeTempDir, writeSolid } from '../helpers/images';

const CLASSES = ['a1', 'a2', 'b'];

/** A model that answers every image 0.5 a1, 0.4 a2, 0.1 b: right class by class only for a1, right in category `a` for a1 and a2. */
function fixedScoring(schemeChoice: 'nine' | 'paired'): Scoring {
  const scheme = schemeChoice === 'nine'
    ? chooseScheme('nine', CLASSES)
    : chooseScheme({ name: 'paired', categories: [{ name: 'a', classes: ['a1', 'a2'] }, { name: 'b', classes: ['b'] }] }, CLASSES);
  const info = { classes: CLASSES, input: { storedSize: 8, inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] } } as unknown as ModelInfo;
  return {
    info,
    scheme,
    trust: { views: 1, temperature: 1, reviewThreshold: 0.8 },
    classReviewThreshold: 0.45,
    async score(_pixels, indices) {
      return { probabilities: Float32Array.from(Array.from(indices, () => [0.5, 0.4, 0.1]).flat()), outOfScopeScores: null };
    },
  };
}

test('evaluate scores a scheme beside the classes: category metrics, confusion and its own review figures', async () => {
  const dir = makeTempDir();
  for (const name of CLASSES) for (const i of [1, 2]) await writeSolid(path.join(dir, name, `${i}.png`), 8, 8, [i * 40, 0, 0]);
  const result = await evaluateFolder(fixedScoring('paired'), dir, { cacheDir: null });
  assert.equal(result.metrics.accuracy, 2 / 6);
  // Class by class the class-level threshold (0.45) applies: every 0.5 answer is accepted, a third of them right.
  assert.equal(result.trust.review.flagged, 0);
  assert.equal(result.trust.review.acceptedAccuracy, 2 / 6);
  const scheme = result.scheme!;
  assert.equal(scheme.name, 'paired');
  assert.deepEqual(scheme.metrics.classes, ['a', 'b']);
  assert.equal(scheme.metrics.accuracy, 4 / 6);
  assert.deepEqual(scheme.metrics.confusionMatrix, [[4, 0], [2, 0]]);
  assert.equal(scheme.metrics.perClass.a.recall, 1);
  assert.equal(scheme.metrics.perClass.a.precision, 4 / 6);
  // Category confidence 0.9 clears the scheme's 0.8: all accepted, four of six right.
  assert.equal(scheme.trust.review.threshold, 0.8);
  assert.equal(scheme.trust.review.flagged, 0);
  assert.equal(scheme.trust.review.acceptedAccuracy, 4 / 6);

  const nine = await evaluateFolder(fixedScoring('nine'), dir, { cacheDir: null });
  assert.equal(nine.scheme, undefined, 'class by class there is nothing to score twice');
});
