import type { NativeEngine } from '../native/binding';
import { predictProbabilities } from './predict';

/** Which runtime runs the network at prediction time. */
export type EngineChoice = 'libtorch' | 'onnx';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['libtorch', 'onnx'];

/**
 * What classification needs from a runtime, so that LibTorch and ONNX Runtime are interchangeable:
 * class probabilities for stored-size RGB images (HWC bytes, one after another in `pixels`),
 * one row per entry of `indices`, averaged over `views` test-time views.
 */
export interface Predictor {
  readonly engine: EngineChoice;
  predict(pixels: Uint8Array, indices: Int32Array, views: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export function libtorchPredictor(engine: NativeEngine): Predictor {
  return {
    engine: 'libtorch',
    predict: async (pixels, indices, views) => predictProbabilities(engine, pixels, indices, views),
    close: async () => undefined,
  };
}
