import { clopperPearsonInterval } from '../trust/binomial-interval.js';

/** The immature-to-total neutrophil ratio (I/T), with its exact 95% interval. */
export interface ItRatio {
  /** Bands, metamyelocytes and myelocytes: the immature neutrophil-lineage cells. */
  immature: number;
  /** Every neutrophil-lineage cell: those and the segmented neutrophils. */
  lineage: number;
  /** immature / lineage; 0 when there are none. */
  ratio: number;
  low: number;
  high: number;
}

const IMMATURE = ['bands', 'metamyelocytes', 'myelocytes'];
const MATURE = 'neutrophils';

/**
 * The I/T ratio from per-class counts ((bands + immature granulocytes) / all neutrophil-lineage cells, as
 * neonatal sepsis work uses it); null when the model lacks one of the four classes it needs.
 */
export function itRatio(countOf: ReadonlyMap<string, number>): ItRatio | null {
  if (![...IMMATURE, MATURE].every((name) => countOf.has(name))) return null;
  const immature = IMMATURE.reduce((sum, name) => sum + countOf.get(name)!, 0);
  const lineage = immature + countOf.get(MATURE)!;
  const { low, high } = clopperPearsonInterval(immature, lineage);
  return { immature, lineage, ratio: lineage === 0 ? 0 : immature / lineage, low, high };
}

/** The I/T ratio in one line. */
export function formatItRatio(ratio: ItRatio): string {
  return `I/T ratio: ${ratio.ratio.toFixed(3)} (95% ${ratio.low.toFixed(3)}–${ratio.high.toFixed(3)}; ${ratio.immature} immature of ${ratio.lineage} neutrophil-lineage cells: bands, metamyelocytes and myelocytes over those and neutrophils)`;
}
