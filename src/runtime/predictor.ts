import type { NativeEngine } from '../native/binding';
import { scoreViews, type ViewScores } from '../model/scores';

/** Which runtime runs the network at prediction time. */
export type EngineChoice = 'libtorch' | 'onnx';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['libtorch', 'onnx'];

/**
 * What classification needs from a runtime, so that LibTorch and ONNX Runtime are interchangeable: for
 * stored-size RGB images (HWC bytes, one after another in `pixels`), one row per entry of `indices`, the
 * class logits of each of `views` test-time views and the plain view's pooled features (src/model/scores.ts).
 */
export interface Predictor {
  readonly engine: EngineChoice;
  scoreViews(pixels: Uint8Array, indices: Int32Array, views: number): Promise<ViewScores>;
  close(): Promise<void>;
}

export function libtorchPredictor(engine: NativeEngine): Predictor {
  return {
    engine: 'libtorch',
    scoreViews: async (pixels, indices, views) => scoreViews(engine, pixels, indices, views),
    close: async () => undefined,
  };
}
