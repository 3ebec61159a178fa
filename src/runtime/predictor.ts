import type { LoadedModel } from '../model/model-folder';
import { scoreViews, type ViewScores } from '../model/scores';
import type { NativeEngine } from '../native/binding';
import type { Runtime } from '../native/runtime';

/** Which runtime runs the network at prediction time. */
export type EngineChoice = 'libtorch' | 'onnx';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['libtorch', 'onnx'];

/**
 * What classification needs from a runtime, so that LibTorch and ONNX Runtime are interchangeable: for
 * stored-size RGB images (HWC bytes, one after another in `pixels`), one row per entry of `indices`, the
 * class logits of test-time views `firstView` (0 by default) to `views - 1`, and the plain view's pooled
 * features when it is among them (src/model/scores.ts).
 */
export interface Predictor {
  readonly engine: EngineChoice;
  scoreViews(pixels: Uint8Array, indices: Int32Array, views: number, firstView?: number): Promise<ViewScores>;
  close(): Promise<void>;
}

export function libtorchPredictor(engine: NativeEngine): Predictor {
  return {
    engine: 'libtorch',
    scoreViews: (pixels, indices, views, firstView) => scoreViews(engine, pixels, indices, views, firstView),
    close: async () => undefined,
  };
}

/** ONNX Runtime where it was measured faster (fp32 on the CPU, bench/RESULTS.md); LibTorch on CUDA or with bf16. */
export function defaultEngine(runtime: Runtime): EngineChoice {
  return runtime.device === 'cpu' && runtime.precision === 'fp32' ? 'onnx' : 'libtorch';
}

/** The loaded model under `engine`; ONNX Runtime builds its graph and opens its session here, once. */
export async function openPredictor(model: LoadedModel, engine: EngineChoice, threads: number): Promise<Predictor> {
  if (engine === 'libtorch') return libtorchPredictor(model.engine);
  // Loaded only when used: runs on LibTorch alone (CUDA, bf16, --engine libtorch) skip ONNX Runtime's start-up.
  const { onnxPredictor } = await import('./onnx-predictor');
  return onnxPredictor(model, threads);
}
