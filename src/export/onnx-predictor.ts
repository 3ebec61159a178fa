import * as ort from 'onnxruntime-node';
import { requireFinite } from '../model/predict';
import type { Predictor } from '../model/predictor';
import type { LoadedModel } from '../model/model-folder';
import { WbcError } from '../util/errors';
import { INPUT_NAME, PROBABILITIES_NAME } from './onnx-graph';
import { onnxModelBytes } from './onnx-export';
import { averageViews, viewBatch } from './views';

/** Images per ONNX Runtime call (times the views): bounds memory, and is past where larger batches stop helping. */
const CHUNK = 64;

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
  const imageBytes = size * size * 3;
  return {
    engine: 'onnx',
    async predict(pixels, indices, views) {
      const out = new Float32Array(indices.length * classes);
      for (let start = 0; start < indices.length; start += CHUNK) {
        const count = Math.min(CHUNK, indices.length - start);
        const images = new Uint8Array(count * imageBytes);
        for (let i = 0; i < count; i += 1) {
          const index = indices[start + i];
          if (!Number.isInteger(index) || index < 0 || (index + 1) * imageBytes > pixels.length) throw new WbcError(`image index ${index} is outside the pixel buffer`);
          images.set(pixels.subarray(index * imageBytes, (index + 1) * imageBytes), i * imageBytes);
        }
        const rows = (await runImages(session, viewBatch(images, count, size, views), views * count, size, [PROBABILITIES_NAME]))[PROBABILITIES_NAME];
        out.set(averageViews(rows, count, classes, views), start * classes);
      }
      return requireFinite(out);
    },
    close: () => session.release(),
  };
}
