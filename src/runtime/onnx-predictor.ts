import * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../model/model-folder';
import { requireFinite } from '../model/predict';
import { viewBatch } from '../model/views';
import { WbcError } from '../util/errors';
import { FEATURES_NAME, INPUT_NAME, LOGITS_NAME } from './onnx-graph';
import { onnxModelBytes } from './onnx-model';
import type { Predictor } from './predictor';

/**
 * Images per ONNX Runtime call (times the views: 256 rows with 8). ONNX Runtime's arena keeps the largest
 * call's activations for good: classifying 10,000 images peaked at 1.08 GB with 64 images a call, 0.72 GB
 * with 32 and 0.54 GB with 16, with no speed difference beyond the noise (bench/RESULTS.md).
 */
const CHUNK = 32;

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** Runs `bytes` (an exported model) in ONNX Runtime on the CPU with `threads` threads. */
export async function onnxSession(bytes: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
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

/** The loaded model, exported in memory and run through ONNX Runtime: the same answers as the file `wbc export` writes. */
export async function onnxPredictor(model: LoadedModel, threads: number): Promise<Predictor> {
  const { bytes } = onnxModelBytes(model);
  const session = await onnxSession(bytes, threads);
  const size = model.info.input.storedSize;
  const classes = model.info.classes.length;
  const featureSize = model.info.network.widths[model.info.network.widths.length - 1];
  const imageBytes = size * size * 3;
  return {
    engine: 'onnx',
    async scoreViews(pixels, indices, views) {
      const n = indices.length;
      const logitsPerView = Array.from({ length: views }, () => new Float32Array(n * classes));
      const features = new Float32Array(n * featureSize);
      for (let start = 0; start < n; start += CHUNK) {
        const count = Math.min(CHUNK, n - start);
        const images = new Uint8Array(count * imageBytes);
        for (let i = 0; i < count; i += 1) {
          const index = indices[start + i];
          if (!Number.isInteger(index) || index < 0 || (index + 1) * imageBytes > pixels.length) throw new WbcError(`image index ${index} is outside the pixel buffer`);
          images.set(pixels.subarray(index * imageBytes, (index + 1) * imageBytes), i * imageBytes);
        }
        const out = await runImages(session, viewBatch(images, count, size, views), views * count, size, [LOGITS_NAME, FEATURES_NAME]);
        const logits = requireFinite(out[LOGITS_NAME]);
        // View-major rows: view v's logits for this chunk are contiguous; the plain view (0) comes first.
        for (let v = 0; v < views; v += 1) logitsPerView[v].set(logits.subarray(v * count * classes, (v + 1) * count * classes), start * classes);
        features.set(out[FEATURES_NAME].subarray(0, count * featureSize), start * featureSize);
      }
      return { classes, featureSize, logitsPerView, features };
    },
    close: () => session.release(),
  };
}
