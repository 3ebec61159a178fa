import { loadImages } from '../src/data/load-images';
import { newEngine } from '../src/model/model-folder';
import { predictProbabilities } from '../src/model/predict';
import { native, type NativeEngine } from '../src/native/binding';
import type { Runtime } from '../src/native/runtime';
import type { Pool } from './fixture';

export interface InferenceSample {
  imagesPerSecond: number;
  /** Share of the wall time spent decoding, when decoding was included. */
  decodeShare?: number;
}

/**
 * Prediction as `wbc classify` does it, on a freshly initialised network of the default shape
 * (the weights' values do not change the work): predictProbabilities over the engine's 256-image
 * chunks, optionally after decoding the JPEGs with loadImages (native libjpeg-turbo) at its default concurrency.
 */
export class OurInference {
  private readonly engine: NativeEngine;

  constructor(private readonly pool: Pool, runtime: Runtime) {
    this.engine = newEngine(pool.network, pool.input, { device: runtime.device, bfloat16: runtime.bfloat16, seed: 1 });
  }

  async cached(count: number, views: number): Promise<InferenceSample> {
    const indices = Int32Array.from({ length: count }, (_, i) => i);
    const started = performance.now();
    await predictProbabilities(this.engine, this.pool.pixels, indices, views);
    return { imagesPerSecond: (count * 1000) / (performance.now() - started) };
  }

  async fromFiles(files: string[], views: number): Promise<InferenceSample> {
    const started = performance.now();
    const loaded = await loadImages(files, this.pool.input.storedSize);
    const decoded = performance.now();
    await predictProbabilities(this.engine, loaded.pixels, Int32Array.from(loaded.loaded.keys()), views);
    const wall = performance.now() - started;
    return { imagesPerSecond: (files.length * 1000) / wall, decodeShare: (decoded - started) / wall };
  }

  /**
   * Seconds per image of the addon's batch preparation for prediction (gather, normalise, centre crop by
   * affine_grid + grid_sample), timed through makeBatch in the engine's 256-image chunks; makeBatch also
   * copies the batch out to JavaScript, so this slightly overstates it.
   */
  preparationSeconds(count: number): number {
    const { makeBatch } = native();
    const { storedSize, inputSize, mean, std } = this.pool.input;
    const started = performance.now();
    for (let start = 0; start < count; start += 256) {
      const indices = Int32Array.from({ length: Math.min(256, count - start) }, (_, i) => start + i);
      makeBatch(this.pool.pixels, storedSize, inputSize, indices, null, mean, std);
    }
    return (performance.now() - started) / 1000 / count;
  }
}
