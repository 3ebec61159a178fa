import * as path from 'node:path';
import { WbcError } from '../util/errors';

/** The shapes the native addon (src/native/addon) accepts and returns. */
export interface NetworkSpec {
  widths: number[];
  convsPerStage: number;
  classes: number;
  dropout: number;
}

export interface InputSpec {
  /** Side of the square network input, in pixels. */
  inputSize: number;
  /** Side of the cached square image; the network sees its centre inputSize pixels. */
  storedSize: number;
  mean: number[];
  std: number[];
}

export interface EngineOptions {
  network: NetworkSpec;
  input: InputSpec;
  device: 'cpu' | 'cuda';
  bfloat16: boolean;
  seed: number;
}

/**
 * The heavy calls (trainStep, predict, features, logitsAndFeatures, recalibrateNormalization) run off the
 * JavaScript thread and return promises; a bad argument rejects with the same one-line message. An engine
 * runs one call at a time: any call made while one of its promises is pending is refused (await each call).
 */
export interface NativeEngine {
  configureTraining(options: { weightDecay: number; labelSmoothing: number; classWeights: Float32Array }): void;
  /**
   * In a process group (joinGroup), this rank's images are rows shareOffset.. of a global batch of globalSize
   * images, both required; loss and correct are then the whole global batch's.
   */
  trainStep(pixels: Uint8Array, indices: Int32Array, labels: Int32Array, augment: Float32Array, learningRate: number, shareOffset?: number, globalSize?: number): Promise<{ loss: number; correct: number }>;
  predict(pixels: Uint8Array, indices: Int32Array, augment: Float32Array | null): Promise<Float32Array>;
  /** Recomputes batch-norm statistics as exact averages over these images (plain centre crops); in a group every rank passes the same images and computes a share. */
  recalibrateNormalization(pixels: Uint8Array, indices: Int32Array): Promise<void>;
  /** The pooled features the linear head reads, featureSize() per image. */
  features(pixels: Uint8Array, indices: Int32Array, augment: Float32Array | null): Promise<Float32Array>;
  featureSize(): number;
  /** One forward pass: each row the class logits, then the pooled features (classes + featureSize() per image). */
  logitsAndFeatures(pixels: Uint8Array, indices: Int32Array, augment: Float32Array | null): Promise<Float32Array>;
  /** Replaces the linear head: weight is classes × featureSize, row-major. */
  setHead(weight: Float32Array, bias: Float32Array): void;
  /** withOptimizer: also the optimiser's and the CPU random generator's state, so that a resumed run continues exactly. */
  save(file: string, withOptimizer: boolean): void;
  /** From a file, or from bytes already read (so that they can be checked first). */
  load(source: string | Uint8Array, withOptimizer: boolean): void;
  /** Every parameter and batch-norm buffer by its module path (`body.0.weight`), for export. */
  parameters(): Record<string, { shape: number[]; data: Float32Array }>;
  /** From now on training steps all-reduce their gradients over the group, with batch norm synchronised. */
  joinGroup(group: NativeProcessGroup): void;
}

/** src/native/addon/process-group.h; `what` names the exchange in error messages. */
export interface NativeProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  allgather(bytes: Uint8Array, what?: string): Uint8Array[];
  /** Rank 0's bytes on every rank; the others pass null. */
  broadcast(bytes: Uint8Array | null, what?: string): Uint8Array;
  barrier(what?: string): void;
  /** In place: the element-wise sum over all ranks. */
  allreduceSum(values: Float32Array, what?: string): void;
  /** Wall time spent in collectives so far, waiting for slower ranks included. */
  readonly communicationSeconds: number;
}

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  host: string;
  port: number;
  timeoutSeconds: number;
  interface?: string;
}

export interface NativeAddon {
  Engine: new (options: EngineOptions) => NativeEngine;
  /** Joins a group off the JavaScript thread: resolves once all ranks have joined (or rejects with one line naming the missing ones). */
  createProcessGroup(options: ProcessGroupOptions): Promise<NativeProcessGroup>;
  setThreads(threads: number): void;
  cudaAvailable(): boolean;
  makeBatch(pixels: Uint8Array, storedSize: number, inputSize: number, indices: Int32Array, augment: Float32Array | null, mean: number[], std: number[]): Float32Array;
  /**
   * Decodes JPEG files to storedSize² RGB squares as the sharp path does (src/native/addon/jpeg-decode.cc), on
   * `threads` threads off the JavaScript thread; file i goes to byte i × storedSize² × 3 of `out`. Per file: ""
   * when decoded, else why the native decoder left it to sharp.
   */
  decodeJpegs(files: string[], storedSize: number, out: Uint8Array, threads: number): Promise<string[]>;
  /**
   * The out-of-scope k-NN distance of each query row (n × size): normalised to unit length, its Euclidean
   * distance to its k-th nearest row of `bank` (rows × size, unit rows), off the JavaScript thread (src/native/addon/knn.cc).
   */
  knnDistances(bank: Float32Array, queries: Float32Array, size: number, k: number): Promise<Float32Array>;
  augmentFields: number;
  libtorchVersion: string;
}

let addon: NativeAddon | undefined;

/** Loads the compiled addon once; a missing build becomes a one-line instruction, not a stack trace. */
export function native(): NativeAddon {
  if (!addon) {
    const file = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'wbc_native.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(file) as NativeAddon;
    } catch (error) {
      throw new WbcError(`the native engine is not built or cannot load (${(error as Error).message.split('\n')[0]}); run \`npm install\` after \`apt-get install -y libtorch-dev libturbojpeg0-dev libgloo-dev\``);
    }
  }
  return addon;
}

/** The addon's own errors are one line already (src/native/addon/errors.h); this keeps the first line of anything else. */
export function nativeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split(/\nException raised from|\n/)[0].trim();
}
