import { createHash } from 'node:crypto';
import { VIEW_COUNTS, type CalibrationInfo, type CalibrationScoresInfo, type OutOfScopeInfo, type OutOfScopeMethod, type ViewCalibration } from '../model/model-schema';
import { averageLogits, scoreViews, topLabel } from '../model/scores';
import { softmaxRows } from '../model/views';
import type { NativeEngine } from '../native/binding';
import { WbcError } from '../util/errors';
import { fitAdaptiveForModel } from './adaptive-views';
import { encodeCalibrationScores } from './calibration-scores';
import { expectedCalibrationError } from './ece';
import { KnnScorer, MahalanobisScorer, thresholdForRate } from './out-of-scope';
import { chooseGuaranteedThreshold, DEFAULT_MAX_ACCEPTED_ERROR } from './review-threshold';
import { fitTemperature } from './temperature';

export const DEFAULT_OUT_OF_SCOPE_RATE = 0.05;
export const DEFAULT_OUT_OF_SCOPE_METHOD: OutOfScopeMethod = 'knn';
export const OUT_OF_SCOPE_FILE = 'out-of-scope.bin';

export interface CalibrateInput {
  engine: NativeEngine;
  pixels: Uint8Array;
  trainSlots: Int32Array;
  trainLabels: Int32Array;
  /** The calibration images: the validation split. */
  validationSlots: Int32Array;
  validationLabels: Int32Array;
  classes: number;
  maxAcceptedError?: number;
  outOfScopeRate?: number;
  method?: OutOfScopeMethod;
  seed: number;
}

export interface Calibrated {
  calibration: CalibrationInfo;
  outOfScope: OutOfScopeInfo;
  /** The calibration images' scores under every view, for thresholds fitted later (a reporting scheme's). */
  calibrationScores: CalibrationScoresInfo;
  /** Files for the model folder, written before model.json. */
  files: { name: string; bytes: Uint8Array }[];
}

/** Checks the calibration options before training starts, so that a bad value does not waste a run. */
export function checkCalibrationOptions(options: { maxAcceptedError?: number; outOfScopeRate?: number }): void {
  const { maxAcceptedError, outOfScopeRate } = options;
  if (maxAcceptedError !== undefined && !(maxAcceptedError > 0 && maxAcceptedError < 1)) throw new WbcError(`max accepted error must be between 0 and 1, got ${maxAcceptedError}`);
  if (outOfScopeRate !== undefined && !(outOfScopeRate > 0 && outOfScopeRate < 1)) throw new WbcError(`out-of-scope rate must be between 0 and 1, got ${outOfScopeRate}`);
}

function fitScorer(method: OutOfScopeMethod, features: Float32Array, labels: Int32Array, classes: number, size: number, seed: number): KnnScorer | MahalanobisScorer {
  return method === 'knn' ? KnnScorer.fit(features, size, { seed }) : MahalanobisScorer.fit(features, labels, classes, size);
}

/**
 * Everything that makes the model's answers trustworthy, fitted once its weights are final:
 * the out-of-scope statistics from the training images and their threshold on the calibration
 * (validation) images; then, for each test-time view count, a temperature and a review threshold
 * fitted on the calibration images that pass the out-of-scope check; and the adaptive mode's cut,
 * temperatures and review threshold (src/trust/adaptive-views.ts). The calibration images' scores are
 * kept as a file too, so that a reporting scheme's threshold can be fitted later without retraining.
 */
export async function calibrateModel(input: CalibrateInput): Promise<Calibrated> {
  const { engine, pixels, classes } = input;
  const maxAcceptedError = input.maxAcceptedError ?? DEFAULT_MAX_ACCEPTED_ERROR;
  const rate = input.outOfScopeRate ?? DEFAULT_OUT_OF_SCOPE_RATE;
  const method = input.method ?? DEFAULT_OUT_OF_SCOPE_METHOD;
  const size = engine.featureSize();

  const scorer = fitScorer(method, await engine.features(pixels, input.trainSlots, null), input.trainLabels, classes, size, input.seed);
  const scored = await scoreViews(engine, pixels, input.validationSlots, Math.max(...VIEW_COUNTS));
  const outOfScopeScores = await scorer.score(scored.features);
  const threshold = thresholdForRate(outOfScopeScores, rate);
  const inScope = Array.from(outOfScopeScores.keys()).filter((i) => !(outOfScopeScores[i] > threshold));

  const byViews: Record<string, ViewCalibration> = {};
  for (const views of VIEW_COUNTS) {
    const logits = averageLogits(scored.logitsPerView, views);
    const temperature = fitTemperature(logits, input.validationLabels, classes);
    const before = topLabel(softmaxRows(logits, classes, 1), classes, input.validationLabels);
    const after = topLabel(softmaxRows(logits, classes, temperature), classes, input.validationLabels);
    const review = chooseGuaranteedThreshold(inScope.map((i) => after.confidences[i]), inScope.map((i) => after.correct[i]), maxAcceptedError);
    byViews[String(views)] = {
      temperature,
      review,
      eceBefore: expectedCalibrationError(before.confidences, before.correct),
      eceAfter: expectedCalibrationError(after.confidences, after.correct),
    };
  }

  const adaptive = fitAdaptiveForModel({ logitsPerView: scored.logitsPerView, labels: input.validationLabels, classes }, inScope, { byViews, maxAcceptedError });

  const array = scorer.toArray();
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const kept = encodeCalibrationScores({ classes, logitsPerView: scored.logitsPerView, labels: input.validationLabels, outOfScopeScores });
  return {
    calibration: { images: input.validationSlots.length, maxAcceptedError, byViews, adaptive },
    outOfScope: {
      method,
      file: OUT_OF_SCOPE_FILE,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      featureSize: size,
      ...(scorer instanceof KnnScorer ? { neighbours: scorer.k } : {}),
      threshold: Number.isFinite(threshold) ? threshold : Number.MAX_VALUE,
      rate,
      calibrationImages: input.validationSlots.length,
    },
    calibrationScores: kept.info,
    files: [{ name: OUT_OF_SCOPE_FILE, bytes }, { name: kept.info.file, bytes: kept.bytes }],
  };
}
