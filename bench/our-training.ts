import { DEFAULT_AUGMENT_POLICY, sampleAugmentation } from '../src/augment/policy';
import { newEngine } from '../src/model/model-folder';
import { native, type NativeEngine } from '../src/native/binding';
import type { Runtime } from '../src/native/runtime';
import { epochOrder } from '../src/train/class-balance';
import { oneCycleLearningRate } from '../src/train/schedule';
import { TRAIN_DEFAULTS } from '../src/train/train';
import { Rng } from '../src/util/rng';
import type { Pool } from './fixture';

export interface TrainSample {
  imagesPerSecond: number;
  /** Share of the loop's wall time spent inside engine.trainStep (the rest is JavaScript batch assembly). */
  stepShare: number;
}

/**
 * The project's training loop as src/train/train.ts runs it, step for step: the epoch order, the batch's
 * indices and labels, the one-cycle learning rate and fresh augmentation parameters in JavaScript, then
 * engine.trainStep (gather, augmentation, forward, loss, backward, AdamW in C++). Only the timers are added.
 */
export class OurTraining {
  private readonly engine: NativeEngine;
  private readonly rng = new Rng(TRAIN_DEFAULTS.seed);
  private readonly samples: number[];
  private order: number[] = [];
  private position = 0;
  private step = 0;

  constructor(private readonly pool: Pool, runtime: Runtime) {
    this.engine = newEngine(pool.network, pool.input, { device: runtime.device, bfloat16: runtime.bfloat16, seed: TRAIN_DEFAULTS.seed });
    this.engine.configureTraining({ weightDecay: TRAIN_DEFAULTS.weightDecay, labelSmoothing: TRAIN_DEFAULTS.labelSmoothing, classWeights: pool.classWeights });
    this.samples = Array.from(pool.labels.keys());
  }

  private nextIndices(): Int32Array {
    if (this.position >= this.order.length) {
      this.order = epochOrder(this.samples, this.pool.labels, 'shuffle', this.rng);
      this.position = 0;
    }
    const indices = Int32Array.from(this.order.slice(this.position, this.position + TRAIN_DEFAULTS.batchSize));
    this.position += TRAIN_DEFAULTS.batchSize;
    return indices;
  }

  async train(steps: number): Promise<TrainSample> {
    const totalSteps = 40 * Math.ceil(this.samples.length / TRAIN_DEFAULTS.batchSize);
    let inStep = 0;
    let images = 0;
    const started = performance.now();
    for (let i = 0; i < steps; i += 1) {
      const indices = this.nextIndices();
      const learningRate = oneCycleLearningRate(this.step % totalSteps, totalSteps, TRAIN_DEFAULTS.learningRate);
      this.step += 1;
      const labels = Int32Array.from(indices, (slot) => this.pool.labels[slot]);
      const augment = sampleAugmentation(DEFAULT_AUGMENT_POLICY, indices.length, this.rng);
      const stepStarted = performance.now();
      await this.engine.trainStep(this.pool.pixels, indices, labels, augment, learningRate);
      inStep += performance.now() - stepStarted;
      images += indices.length;
    }
    const wall = performance.now() - started;
    return { imagesPerSecond: (images * 1000) / wall, stepShare: inStep / wall };
  }

  /**
   * Seconds per batch that the step's own preprocessing takes (gather, colour jitter, affine resampling),
   * timed through the addon's makeBatch, which runs the same C++ but also copies the batch out to JavaScript,
   * so this slightly overstates it.
   */
  batchSeconds(batches: number): number {
    const { makeBatch } = native();
    const { storedSize, inputSize, mean, std } = this.pool.input;
    const started = performance.now();
    for (let i = 0; i < batches; i += 1) {
      const indices = this.nextIndices();
      makeBatch(this.pool.pixels, storedSize, inputSize, indices, sampleAugmentation(DEFAULT_AUGMENT_POLICY, indices.length, this.rng), mean, std);
    }
    return (performance.now() - started) / 1000 / batches;
  }
}
