import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadedModel, ModelInfo } from '../model/model-folder';
import { nativeMessage } from '../native/binding';
import { WbcError } from '../util/errors';
import { exportedFacts, factsToMetadata, type ExportedCalibration, type ExportedModelFacts } from './metadata';
import { networkGraph } from './onnx-graph';
import { encodeModel } from './onnx-proto';

function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** What calibration fitted (model.json's `calibration`), by number of views; undefined for a model from before it. */
function calibrationOf(info: ModelInfo): ExportedCalibration | undefined {
  const byViews = info.calibration?.byViews;
  if (!byViews) return undefined;
  const entries = Object.entries(byViews);
  return {
    temperatures: Object.fromEntries(entries.map(([views, fitted]) => [views, fitted.temperature])),
    reviewThresholds: Object.fromEntries(entries.map(([views, fitted]) => [views, fitted.review.threshold])),
  };
}

/**
 * The loaded model as the bytes of an .onnx file, with the facts written into its metadata: what
 * `wbc export` writes, and what the ONNX predictor runs in memory.
 */
export function onnxModelBytes(model: LoadedModel): { bytes: Uint8Array; facts: ExportedModelFacts } {
  const { info, engine } = model;
  let parameters;
  try {
    parameters = engine.parameters();
  } catch (error) {
    throw new WbcError(`cannot read the weights: ${nativeMessage(error)}`);
  }
  const facts = exportedFacts(info, calibrationOf(info));
  const graph = networkGraph({ network: info.network, input: info.input, parameters, temperature: facts.temperature }, factsToMetadata(facts), packageVersion());
  return { bytes: encodeModel(graph), facts };
}
