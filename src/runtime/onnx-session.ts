import * as ort from 'onnxruntime-node';
import { viewBatch } from '../model/views';
import { WbcError } from '../util/errors';
import { FEATURES_NAME, INPUT_NAME, LOGITS_NAME } from './onnx-graph';

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/**
 * Runs `bytes` (an exported model) in ONNX Runtime on the CPU with `threads` threads. Without the memory
 * pattern: with it, ONNX Runtime allocates (and the kernel faults in) a second, planned block at the second
 * run of each input shape, which cost every opening about 280 ms more on a 256-row call. Threads that wait
 * without spinning: the same wall time, 8–10% less CPU time, left to decoding (bench/RESULTS.md).
 */
export async function onnxSession(bytes: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    throw new WbcError(`ONNX Runtime cannot load the model: ${messageOf(error)}`);
  }
}

/** Runs one batch of stored-size images; returns the named outputs' rows. */
export async function runImages(session: ort.InferenceSession, images: Uint8Array, count: number, storedSize: number, outputs: string[]): Promise<Record<string, Float32Array>> {
  const input = new ort.Tensor('uint8', images, [count, storedSize, storedSize, 3]);
  try {
    const result = await session.run({ [INPUT_NAME]: input }, outputs);
    return Object.fromEntries(outputs.map((name) => [name, result[name].data as Float32Array]));
  } catch (error) {
    throw new WbcError(`prediction failed in ONNX Runtime: ${messageOf(error)}`);
  } finally {
    input.dispose();
  }
}

/**
 * Test-time views `first` to `views - 1` of `count` stored-size images, run in one call: view-major logits
 * ((views - first) × count × classes) and, when the plain view (0) is among them, its features
 * (count × featureSize; empty otherwise).
 */
export async function runViews(session: ort.InferenceSession, images: Uint8Array, count: number, storedSize: number, views: number, featureSize: number, first = 0): Promise<{ logits: Float32Array; features: Float32Array }> {
  const out = await runImages(session, viewBatch(images, count, storedSize, views, first), (views - first) * count, storedSize, [LOGITS_NAME, FEATURES_NAME]);
  return { logits: out[LOGITS_NAME], features: first === 0 ? out[FEATURES_NAME].slice(0, count * featureSize) : new Float32Array(0) };
}
