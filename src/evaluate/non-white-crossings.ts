import { WbcError } from '../util/errors';

/** How often a model with non-white kinds (`wbc train --non-white`) answered across the line between white and non-white cells. */
export interface NonWhiteCrossings {
  whiteCells: number;
  /** White cells answered as a non-white kind: lost from the differential. */
  whiteCalledNonWhite: number;
  nonWhiteCells: number;
  /** Non-white cells answered as a white class: counted in the differential unless review catches them... */
  nonWhiteCalledWhite: number;
  /** ...and those of them without a review flag, which enter the differential unseen. */
  nonWhiteCalledWhiteUnreviewed: number;
}

/** One scored image: its true class, the model's answer and whether that answer was flagged for review. */
export interface ScoredAnswer {
  truth: string;
  prediction: string;
  needsReview: boolean;
}

export function nonWhiteCrossings(answers: readonly ScoredAnswer[], kinds: readonly string[]): NonWhiteCrossings {
  if (kinds.length === 0) throw new WbcError('nonWhiteCrossings needs at least one non-white kind');
  const isNonWhite = (name: string) => kinds.includes(name);
  const white = answers.filter((answer) => !isNonWhite(answer.truth));
  const nonWhite = answers.filter((answer) => isNonWhite(answer.truth));
  const calledWhite = nonWhite.filter((answer) => !isNonWhite(answer.prediction));
  return {
    whiteCells: white.length,
    whiteCalledNonWhite: white.filter((answer) => isNonWhite(answer.prediction)).length,
    nonWhiteCells: nonWhite.length,
    nonWhiteCalledWhite: calledWhite.length,
    nonWhiteCalledWhiteUnreviewed: calledWhite.filter((answer) => !answer.needsReview).length,
  };
}

function share(part: number, whole: number): string {
  return whole === 0 ? '' : ` (${((part / whole) * 100).toFixed(2)}%)`;
}

/** Two lines for `wbc evaluate`. */
export function formatNonWhiteCrossings(crossings: NonWhiteCrossings): string {
  const { whiteCells, whiteCalledNonWhite, nonWhiteCells, nonWhiteCalledWhite, nonWhiteCalledWhiteUnreviewed } = crossings;
  return [
    `white cells called non-white: ${whiteCalledNonWhite} of ${whiteCells}${share(whiteCalledNonWhite, whiteCells)}`,
    `non-white cells called white: ${nonWhiteCalledWhite} of ${nonWhiteCells}${share(nonWhiteCalledWhite, nonWhiteCells)}, `
      + `${nonWhiteCalledWhiteUnreviewed} of them without a review flag${share(nonWhiteCalledWhiteUnreviewed, nonWhiteCells)}`,
  ].join('\n');
}
