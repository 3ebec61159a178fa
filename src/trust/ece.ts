import { WbcError } from '../util/errors';

export interface ReliabilityBin {
  /** Confidence range [low, high) (the last bin includes 1). */
  low: number;
  high: number;
  count: number;
  /** Mean confidence and share correct of the predictions in the bin; 0 when empty. */
  meanConfidence: number;
  accuracy: number;
}

export const CALIBRATION_BINS = 15;

/** Top-label predictions grouped into `bins` equal-width confidence bins. */
export function reliabilityBins(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = CALIBRATION_BINS): ReliabilityBin[] {
  if (confidences.length !== correct.length) throw new WbcError(`${confidences.length} confidences but ${correct.length} outcomes`);
  const counts = new Array<number>(bins).fill(0);
  const sums = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidences.length; i += 1) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(confidences[i] * bins)));
    counts[bin] += 1;
    sums[bin] += confidences[i];
    if (correct[i]) right[bin] += 1;
  }
  return counts.map((count, bin) => ({
    low: bin / bins,
    high: (bin + 1) / bins,
    count,
    meanConfidence: count ? sums[bin] / count : 0,
    accuracy: count ? right[bin] / count : 0,
  }));
}

/** Expected calibration error: the count-weighted mean gap between confidence and accuracy over the bins. */
export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = CALIBRATION_BINS): number {
  const total = confidences.length;
  if (total === 0) return 0;
  return reliabilityBins(confidences, correct, bins).reduce((sum, bin) => sum + (bin.count / total) * Math.abs(bin.accuracy - bin.meanConfidence), 0);
}
