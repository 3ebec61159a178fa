import type { Scheme } from '../scheme/scheme.js';
import { differentialCount, differentialCsv } from './differential.js';
import type { Prediction } from './predictions.js';
import { schemeDifferential, schemeDifferentialCsv } from './scheme-differential.js';

/**
 * The differential CSV `wbc classify` writes beside its predictions, which the exported page offers too:
 * class by class (differentialCsv) under a scheme whose categories are the classes, else in the scheme's
 * categories with their class detail (schemeDifferentialCsv); non-white kinds counted apart in both.
 */
export function differentialCsvFor(predictions: readonly Prediction[], classes: readonly string[], scheme: Scheme, nonWhiteKinds: readonly string[] = []): string {
  return scheme.identity
    ? differentialCsv(differentialCount(predictions, classes, nonWhiteKinds))
    : schemeDifferentialCsv(schemeDifferential(predictions, classes, scheme));
}
