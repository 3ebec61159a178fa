import type { AdaptiveCalibration, CalibrationInfo, ReviewChoice } from '../model/model-schema';
import { averageLogits } from '../model/scores';
import { softmaxRows } from '../model/views';
import { WbcError } from '../util/errors';
import { expectedCalibrationError } from './ece';
import { chooseGuaranteedThreshold } from './review-threshold';
import { fitTemperature } from './temperature';

/**
 * Adaptive test-time views (`--tta auto`): every image is scored under its plain view; only those whose
 * one-view answer is not sure enough are scored under all the views. Most cells are answered confidently by
 * one view and the other views rarely change those answers, so they cost time for nothing.
 */

/** The share of calibration images whose adaptive answer must equal the all-views answer. */
export const ADAPTIVE_AGREEMENT = 0.995;

function topOfRow(probabilities: Float32Array, row: number, classes: number): { label: number; confidence: number } {
  let label = 0;
  for (let c = 1; c < classes; c += 1) if (probabilities[row * classes + c] > probabilities[row * classes + label]) label = c;
  return { label, confidence: probabilities[row * classes + label] };
}

/** The rows of `logits` (n × classes) listed in `rows`, one after another. */
export function pickRows(logits: Float32Array, rows: readonly number[], classes: number): Float32Array {
  const picked = new Float32Array(rows.length * classes);
  rows.forEach((row, i) => picked.set(logits.subarray(row * classes, (row + 1) * classes), i * classes));
  return picked;
}

/** Which rows need the extra views: one-view confidence, under the gate's temperature, below the cut. */
export function rowsNeedingViews(oneViewLogits: Float32Array, classes: number, adaptive: Pick<AdaptiveCalibration, 'gateTemperature' | 'cut'>): number[] {
  const probabilities = softmaxRows(oneViewLogits, classes, adaptive.gateTemperature);
  const rows: number[] = [];
  for (let row = 0; row < oneViewLogits.length / classes; row += 1) {
    if (topOfRow(probabilities, row, classes).confidence < adaptive.cut) rows.push(row);
  }
  return rows;
}

/**
 * The adaptive answer's calibrated probabilities (n × classes): sure rows from the one view's logits under
 * `sureTemperature`; the rows in `unsureRows` from `manyViewLogits` (their averaged views' logits, in the
 * order of `unsureRows`) under `unsureTemperature`.
 */
export function adaptiveProbabilities(
  oneViewLogits: Float32Array,
  unsureRows: readonly number[],
  manyViewLogits: Float32Array,
  classes: number,
  adaptive: Pick<AdaptiveCalibration, 'sureTemperature' | 'unsureTemperature'>,
): Float32Array {
  if (manyViewLogits.length !== unsureRows.length * classes) {
    throw new WbcError(`adaptive views: ${manyViewLogits.length / classes} rows of averaged views for ${unsureRows.length} unsure images`);
  }
  const probabilities = softmaxRows(oneViewLogits, classes, adaptive.sureTemperature);
  const unsure = softmaxRows(manyViewLogits, classes, adaptive.unsureTemperature);
  unsureRows.forEach((row, i) => probabilities.set(unsure.subarray(i * classes, (i + 1) * classes), row * classes));
  return probabilities;
}

/**
 * The lowest cut on the one-view confidence at which the adaptive answers agree with all views' answers
 * on at least ADAPTIVE_AGREEMENT of the images: images at or above the cut keep their one-view answer.
 */
function agreementCut(oneView: Float32Array, allViews: Float32Array, classes: number): number {
  const n = oneView.length / classes;
  const tops = Array.from({ length: n }, (_, row) => {
    const one = topOfRow(oneView, row, classes);
    return { confidence: one.confidence, differs: one.label !== topOfRow(allViews, row, classes).label };
  }).sort((a, b) => a.confidence - b.confidence);
  const allowed = Math.floor(n * (1 - ADAPTIVE_AGREEMENT) + 1e-9);
  // differsFrom[i]: answers that differ among tops[i..], the images a cut of tops[i].confidence leaves to one view.
  let differsFrom = tops.reduce((sum, top) => sum + (top.differs ? 1 : 0), 0);
  for (let i = 0; i < n; i += 1) {
    const tied = i > 0 && tops[i].confidence === tops[i - 1].confidence;
    if (!tied && differsFrom <= allowed) return tops[i].confidence;
    if (tops[i].differs) differsFrom -= 1;
  }
  return 1; // no cut short of every image agrees: all images take every view (confidence 1 is sure in any case)
}

export interface AdaptiveFitInput {
  /** Per view, n × classes logits of the calibration images, plain view first. */
  logitsPerView: readonly Float32Array[];
  labels: Int32Array;
  classes: number;
  /** The one-view temperature (byViews['1']): the gate compares calibrated one-view confidences with the cut. */
  gateTemperature: number;
  /** Calibration images that passed the out-of-scope check: the review threshold is chosen on them. */
  inScope: readonly number[];
  maxAcceptedError: number;
  /** All views' review choice on the same images: the adaptive mode may send no larger a share to review. */
  reviewToMatch: ReviewChoice;
}

/** Cuts tried above the agreement cut: about this many, at quantiles of the one-view confidences. */
const CUT_CANDIDATES = 100;

function flaggedShare(review: ReviewChoice): number {
  return review.calibrationImages ? 1 - review.accepted / review.calibrationImages : 1;
}

/**
 * Fits the adaptive mode on the calibration images. The cut is the lowest one-view confidence at which
 * (1) the answers agree with all views' on ADAPTIVE_AGREEMENT of the images and (2) the review threshold,
 * fitted on what the adaptive mode outputs, sends no larger a share to review than all views do: one view's
 * confidences are less sharp, so a cut that only kept the answers would send more cells to review.
 */
export function fitAdaptiveViews(input: AdaptiveFitInput): AdaptiveCalibration {
  const { logitsPerView, classes } = input;
  if (logitsPerView.length < 2) throw new WbcError('adaptive views need at least 2 views to choose between');
  const gate = softmaxRows(logitsPerView[0], classes, input.gateTemperature);
  const allViews = averageLogits(logitsPerView);
  const lowest = agreementCut(gate, allViews, classes);
  const above = Array.from(input.labels.keys(), (row) => topOfRow(gate, row, classes).confidence).filter((c) => c > lowest).sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(above.length / CUT_CANDIDATES));
  for (const cut of [lowest, ...above.filter((_, i) => i % step === 0)]) {
    const fitted = fitAtCut(input, allViews, cut);
    if (flaggedShare(fitted.review) <= flaggedShare(input.reviewToMatch) + 1e-9) return fitted;
  }
  return fitAtCut(input, allViews, 1); // every image but the certain ones takes every view
}

/** The adaptive mode at one cut: a temperature for each kind of answer, then the review threshold with its guarantee. */
function fitAtCut(input: AdaptiveFitInput, allViews: Float32Array, cut: number): AdaptiveCalibration {
  const { logitsPerView, labels, classes } = input;
  const views = logitsPerView.length;
  const oneView = logitsPerView[0];
  const unsure = rowsNeedingViews(oneView, classes, { gateTemperature: input.gateTemperature, cut });
  const unsureSet = new Set(unsure);
  const sure = Array.from(labels.keys()).filter((row) => !unsureSet.has(row));
  const sureTemperature = fitTemperature(pickRows(oneView, sure, classes), sure.map((row) => labels[row]), classes);
  const unsureTemperature = fitTemperature(pickRows(allViews, unsure, classes), unsure.map((row) => labels[row]), classes);
  const manyViews = pickRows(allViews, unsure, classes);

  const outcomes = (probabilities: Float32Array): { confidences: number[]; correct: boolean[] } => {
    const tops = Array.from(labels.keys(), (row) => topOfRow(probabilities, row, classes));
    return { confidences: tops.map((top) => top.confidence), correct: tops.map((top, row) => top.label === labels[row]) };
  };
  const before = outcomes(adaptiveProbabilities(oneView, unsure, manyViews, classes, { sureTemperature: 1, unsureTemperature: 1 }));
  const after = outcomes(adaptiveProbabilities(oneView, unsure, manyViews, classes, { sureTemperature, unsureTemperature }));
  const agreeing = Array.from(labels.keys()).filter((row) => unsureSet.has(row) || topOfRow(oneView, row, classes).label === topOfRow(allViews, row, classes).label).length;
  const review = chooseGuaranteedThreshold(input.inScope.map((i) => after.confidences[i]), input.inScope.map((i) => after.correct[i]), input.maxAcceptedError);
  return {
    views,
    gateTemperature: input.gateTemperature,
    cut,
    sureTemperature,
    unsureTemperature,
    review,
    eceBefore: expectedCalibrationError(before.confidences, before.correct),
    eceAfter: expectedCalibrationError(after.confidences, after.correct),
    agreement: labels.length ? agreeing / labels.length : 1,
    extraViewShare: labels.length ? unsure.length / labels.length : 0,
  };
}

/**
 * The adaptive mode for a model from its calibration record (one-view temperature, target, all views'
 * review choice) and its calibration images' scores: how training fits it, and `wbc calibrate` for a model
 * trained before adaptive views.
 */
export function fitAdaptiveForModel(
  scores: { logitsPerView: readonly Float32Array[]; labels: Int32Array; classes: number },
  inScope: readonly number[],
  calibration: Pick<CalibrationInfo, 'byViews' | 'maxAcceptedError'>,
): AdaptiveCalibration {
  const allViews = String(scores.logitsPerView.length);
  if (!calibration.byViews['1'] || !calibration.byViews[allViews]) throw new WbcError(`adaptive views need the calibration of 1 and ${allViews} views`);
  return fitAdaptiveViews({
    ...scores,
    gateTemperature: calibration.byViews['1'].temperature,
    inScope,
    maxAcceptedError: calibration.maxAcceptedError,
    reviewToMatch: calibration.byViews[allViews].review,
  });
}
