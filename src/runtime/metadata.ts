/**
 * The preprocessing facts an ONNX consumer needs, stored as the file's metadata_props. Every value is
 * JSON text, so that a reader in any language parses each with its JSON parser.
 */
import type { ModelInfo } from '../model/model-folder';
import { WbcError } from '../util/errors';

export const METADATA_FORMAT = 'wbc-classifier-onnx/1';

export interface ExportedModelFacts {
  format: typeof METADATA_FORMAT;
  classes: string[];
  /** Side of the square uint8 RGB image the graph takes (NHWC). */
  storedSize: number;
  /** Side of the centre crop the network sees; the graph crops it itself. */
  inputSize: number;
  /** inputSize / storedSize. */
  crop: number;
  /** Per-channel normalisation of 0..1 RGB, applied inside the graph. */
  mean: number[];
  std: number[];
  /** Flips and quarter turns the model's own classifications average (1, 2, 4 or 8); see `views`. */
  testTimeViews: number;
  reviewThreshold: number;
  /** Divides one view's logits before the softmax in the graph's `probabilities` output; 1 when uncalibrated. */
  temperature: number;
  /** By number of views: average the views' logits, then softmax(average / temperature). Empty when uncalibrated. */
  temperatures: Record<string, number>;
  /** By number of views, where calibration chose them; reviewThreshold is the one for testTimeViews. */
  reviewThresholds: Record<string, number>;
  calibrated: boolean;
}

/** What calibration fitted, by number of test-time views. */
export interface ExportedCalibration {
  temperatures: Record<string, number>;
  reviewThresholds: Record<string, number>;
}

/** Plain words for people who open the file in a viewer such as Netron. */
const DESCRIPTIONS: Record<string, string> = {
  input: 'image: uint8 [batch, stored_size, stored_size, 3], RGB; each the centre square of the photo (EXIF orientation applied, transparency on white) resized to stored_size (the CLI uses lanczos3)',
  outputs: 'logits: float32 [batch, classes] for one view; probabilities: softmax(logits / temperature), temperature being the one for a single view; features: the pooled features the linear head reads',
  views: 'view v (0..test_time_views-1) of an image: bit 0 flips left-right, bit 1 flips top-bottom, bit 2 then swaps rows and columns; average the logits of the views, then softmax(average / temperatures[views], 1 when absent)',
  review: 'a prediction whose top probability is below review_threshold (review_thresholds[views] for another number of views) needs review',
};

export function exportedFacts(info: ModelInfo, calibration: ExportedCalibration | undefined): ExportedModelFacts {
  const views = String(info.testTimeViews);
  return {
    format: METADATA_FORMAT,
    classes: info.classes,
    storedSize: info.input.storedSize,
    inputSize: info.input.inputSize,
    crop: info.input.inputSize / info.input.storedSize,
    mean: info.input.mean,
    std: info.input.std,
    testTimeViews: info.testTimeViews,
    reviewThreshold: calibration?.reviewThresholds[views] ?? info.reviewThreshold,
    temperature: calibration?.temperatures['1'] ?? 1,
    temperatures: calibration?.temperatures ?? {},
    reviewThresholds: calibration?.reviewThresholds ?? {},
    calibrated: calibration !== undefined,
  };
}

const KEYS: Record<keyof ExportedModelFacts, string> = {
  format: 'format',
  classes: 'classes',
  storedSize: 'stored_size',
  inputSize: 'input_size',
  crop: 'crop',
  mean: 'mean',
  std: 'std',
  testTimeViews: 'test_time_views',
  reviewThreshold: 'review_threshold',
  temperature: 'temperature',
  temperatures: 'temperatures',
  reviewThresholds: 'review_thresholds',
  calibrated: 'calibrated',
};

export function factsToMetadata(facts: ExportedModelFacts): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) metadata[key] = JSON.stringify(facts[field as keyof ExportedModelFacts]);
  for (const [key, text] of Object.entries(DESCRIPTIONS)) metadata[`description.${key}`] = JSON.stringify(text);
  return metadata;
}

/** The facts back from metadata_props; throws a WbcError for a file this tool did not write. */
export function metadataToFacts(metadata: Record<string, string>): ExportedModelFacts {
  const facts: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    if (!(key in metadata)) throw new WbcError(`the ONNX file has no "${key}" metadata; it was not exported by wbc-classifier`);
    try {
      facts[field] = JSON.parse(metadata[key]);
    } catch {
      throw new WbcError(`the ONNX file's "${key}" metadata is not JSON`);
    }
  }
  if (facts.format !== METADATA_FORMAT) throw new WbcError(`the ONNX file's format is ${String(facts.format)}, not ${METADATA_FORMAT}`);
  return facts as unknown as ExportedModelFacts;
}
