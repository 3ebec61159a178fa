import { identityAugmentation } from '../../src/augment/policy';
import { networkSpec } from '../../src/model/architecture';
import { newEngine } from '../../src/model/model-folder';
import type { InputSpec, NativeEngine, NetworkSpec } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';

/** A tiny network (width 2, three classes, 8 px input): quick to build and to train a step. */
export const TINY_NETWORK: NetworkSpec = networkSpec(2, 3);
export const TINY_INPUT: InputSpec = { inputSize: 8, storedSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

/** An untrained engine ready for training steps; different seeds give different weights. */
export function tinyEngine(seed: number): NativeEngine {
  const engine = newEngine(TINY_NETWORK, TINY_INPUT, { device: 'cpu', bfloat16: false, seed });
  engine.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]) });
  return engine;
}

/** `count` images of random pixels in the engine's stored layout, with labels. */
export function randomBatch(count: number, seed: number): { pixels: Uint8Array; indices: Int32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: count * TINY_INPUT.storedSize ** 2 * 3 }, () => rng.int(256));
  return { pixels, indices: Int32Array.from({ length: count }, (_, i) => i), labels: Int32Array.from({ length: count }, (_, i) => i % 3) };
}

/** One plain training step; returns its loss. */
export async function step(engine: NativeEngine, batch: ReturnType<typeof randomBatch>): Promise<number> {
  return (await engine.trainStep(batch.pixels, batch.indices, batch.labels, identityAugmentation(batch.indices.length), 0.01)).loss;
}
