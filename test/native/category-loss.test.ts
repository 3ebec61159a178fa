import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEngine } from '../../src/model/model-folder';
import { TINY_INPUT, TINY_NETWORK, randomBatch, step } from '../helpers/engines';

type Categories = { categoryOfClass: Int32Array; categoryLossWeight: number } | Record<string, never>;

/**
 * The first step's loss (computed before the weights move) of a fresh engine: the constructor reseeds the
 * generator, so engines made and stepped one after another start from the same weights and dropout masks.
 */
async function firstLoss(categories: Categories, classWeights = new Float32Array([1, 1, 1])): Promise<number> {
  const engine = newEngine(TINY_NETWORK, TINY_INPUT, { device: 'cpu', bfloat16: false, seed: 5 });
  engine.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights, ...categories });
  return step(engine, randomBatch(12, 3));
}

test('the category term is the cross-entropy of the summed class probabilities, weighted like the class loss', async () => {
  const plain = await firstLoss({});
  // Each class its own category: the term is the class cross-entropy again, so the loss doubles at weight 1.
  const ownCategories = await firstLoss({ categoryOfClass: Int32Array.from([0, 1, 2]), categoryLossWeight: 1 });
  assert.ok(Math.abs(ownCategories - 2 * plain) < 1e-5 * plain, `${ownCategories} against 2 × ${plain}`);
  // One category holding every class: its probability is 1, the term 0.
  const oneCategory = await firstLoss({ categoryOfClass: Int32Array.from([0, 0, 0]), categoryLossWeight: 3 });
  assert.ok(Math.abs(oneCategory - plain) < 1e-5 * plain, `${oneCategory} against ${plain}`);
  // Two categories lie between the two: merging classes can only raise a category's probability.
  const twoCategories = await firstLoss({ categoryOfClass: Int32Array.from([0, 0, 1]), categoryLossWeight: 1 });
  assert.ok(twoCategories > plain && twoCategories < ownCategories, `${twoCategories} between ${plain} and ${ownCategories}`);
  // Class weights weigh the term per image as they weigh the class loss.
  const weights = Float32Array.from([1, 4, 0.5]);
  const weighted = await firstLoss({}, weights);
  const weightedOwn = await firstLoss({ categoryOfClass: Int32Array.from([0, 1, 2]), categoryLossWeight: 0.5 }, weights);
  assert.ok(Math.abs(weightedOwn - 1.5 * weighted) < 1e-5 * weighted, `${weightedOwn} against 1.5 × ${weighted}`);
});

test('configureTraining refuses a malformed category map', () => {
  const engine = newEngine(TINY_NETWORK, TINY_INPUT, { device: 'cpu', bfloat16: false, seed: 5 });
  const options = { weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]), categoryLossWeight: 1 };
  const cases: Array<[Int32Array, RegExp]> = [
    [Int32Array.from([0, 1]), /^categoryOfClass must have one category per class$/],
    [Int32Array.from([0, 1, 3]), /^categoryOfClass must hold category indices from 0 to classes - 1$/],
    [Int32Array.from([0, -1, 1]), /^categoryOfClass must hold category indices from 0 to classes - 1$/],
    [Int32Array.from([0, 2, 2]), /^categoryOfClass must not skip a category index$/],
  ];
  for (const [categoryOfClass, message] of cases) assert.throws(() => engine.configureTraining({ ...options, categoryOfClass }), { message });
  assert.throws(() => engine.configureTraining({ ...options, categoryOfClass: Int32Array.from([0, 1, 2]), categoryLossWeight: -1 }), { message: /^categoryLossWeight must be/ });
  assert.throws(() => engine.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]), categoryLossWeight: 1 }), { message: /^categoryLossWeight needs categoryOfClass$/ });
});
