import * as path from 'node:path';
import { loadModel } from '../model/model-folder';
import { setUpRuntime } from '../native/runtime';
import type { ExportedModelFacts } from '../runtime/metadata';
import { onnxModelBytes } from '../runtime/onnx-model';
import { writeFileAtomic } from '../util/atomic-write';
import { checkString } from '../util/check';
import { WbcError } from '../util/errors';

export interface OnnxExportResult {
  file: string;
  bytes: number;
  facts: ExportedModelFacts;
}

/** Writes the model in `modelDir` as an ONNX file (atomically), for ONNX Runtime in any language. */
export function exportOnnx(modelDir: string, file: string): OnnxExportResult {
  checkString('model folder', modelDir);
  checkString('--onnx', file);
  if (path.extname(file).toLowerCase() !== '.onnx') throw new WbcError(`--onnx must name a .onnx file, got '${file}'`);
  setUpRuntime({ device: 'cpu', threads: 1 });
  const { bytes, facts } = onnxModelBytes(loadModel(modelDir, { device: 'cpu', bfloat16: false }));
  writeFileAtomic(file, bytes);
  return { file, bytes: bytes.length, facts };
}
