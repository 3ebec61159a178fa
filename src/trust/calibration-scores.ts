import { createHash } from 'node:crypto';
import type { CalibrationScoresInfo } from '../model/model-schema';
import { WbcError } from '../util/errors';

export const CALIBRATION_SCORES_FILE = 'calibration-scores.bin';

/**
 * What calibration saw, kept in the model folder so that later choices (a reporting scheme's review
 * threshold, other test-time view rules) can be fitted on the same images without retraining.
 */
export interface CalibrationScores {
  classes: number;
  /** One images × classes array of logits per test-time view, plain view first. */
  logitsPerView: Float32Array[];
  /** Each image's true class index. */
  labels: Int32Array;
  /** Each image's out-of-scope score (src/trust/out-of-scope.ts). */
  outOfScopeScores: Float32Array;
}

/**
 * The file: little-endian float32, the views' logits one view after another, then the labels, then the
 * out-of-scope scores (labels are small whole numbers, exact in float32). Its shape is in model.json.
 */
export function encodeCalibrationScores(scores: CalibrationScores): { info: CalibrationScoresInfo; bytes: Uint8Array } {
  const n = scores.labels.length;
  const views = scores.logitsPerView.length;
  if (scores.outOfScopeScores.length !== n || scores.logitsPerView.some((logits) => logits.length !== n * scores.classes)) {
    throw new WbcError(`calibration scores: ${n} labels, ${scores.outOfScopeScores.length} out-of-scope scores and logits of other lengths`);
  }
  const array = new Float32Array(views * n * scores.classes + 2 * n);
  scores.logitsPerView.forEach((logits, view) => array.set(logits, view * n * scores.classes));
  array.set(Float32Array.from(scores.labels), views * n * scores.classes);
  array.set(scores.outOfScopeScores, views * n * scores.classes + n);
  const bytes = new Uint8Array(array.buffer);
  return {
    info: { file: CALIBRATION_SCORES_FILE, sha256: createHash('sha256').update(bytes).digest('hex'), images: n, views, classes: scores.classes },
    bytes,
  };
}

/** Reads the file back under the shape model.json records; a file of another length is an error. */
export function decodeCalibrationScores(bytes: Uint8Array, info: CalibrationScoresInfo): CalibrationScores {
  const { images: n, views, classes } = info;
  if (bytes.byteLength !== 4 * (views * n * classes + 2 * n)) {
    throw new WbcError(`the model's ${info.file} holds ${bytes.byteLength} bytes, not the ${4 * (views * n * classes + 2 * n)} that model.json describes`);
  }
  const array = new Float32Array(new Uint8Array(bytes).buffer); // aligned copy
  const logitsPerView = Array.from({ length: views }, (_, view) => array.slice(view * n * classes, (view + 1) * n * classes));
  const labels = Int32Array.from(array.subarray(views * n * classes, views * n * classes + n));
  if (labels.some((label) => label < 0 || label >= classes)) throw new WbcError(`the model's ${info.file} has a label outside its ${classes} classes`);
  return { classes, logitsPerView, labels, outOfScopeScores: array.slice(views * n * classes + n) };
}
