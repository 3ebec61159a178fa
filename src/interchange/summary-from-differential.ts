import type { NonWhiteCount } from '../classify/non-white-count';
import type { SchemeDifferential } from '../classify/scheme-differential';
import { WbcError } from '../util/errors';
import type { CaseSummary, SummarySignOff } from './case-summary';

/** What a differential does not know about its case. */
export interface CaseContext {
  caseId: string;
  caseName: string;
  model: { name: string; version: string };
  /** The non-white cells counted apart (Differential.nonWhite), for a model trained with non-white kinds. */
  nonWhite?: NonWhiteCount;
  /**
   * Whether the differential's out-of-scope cells are also counted in its categories: true for the CLI's
   * (the default); false for the review app's, which leaves those not reviewed yet out.
   */
  outOfScopeCounted?: boolean;
  /** Cells a reviewer binned; none from the command line. */
  bins?: { name: string; count: number }[];
  signOff?: SummarySignOff;
  comment?: string;
}

/**
 * The summary of a case from its differential in a scheme's categories (the CLI's and the library's
 * `schemeDifferential`, or the review app's), whose out-of-scope cells are counted in the categories as
 * well unless the context says otherwise. Percentages and
 * intervals are per 100 white cells, as the differential gives them.
 */
export function caseSummaryFromSchemeDifferential(differential: SchemeDifferential, context: CaseContext): CaseSummary {
  const kinds = new Set(context.nonWhite?.rows.map((row) => row.kind) ?? []);
  const crossing = differential.categories.flatMap((category) => category.classes).find((detail) => kinds.has(detail.className));
  if (crossing) {
    throw new WbcError(`scheme ${differential.scheme} counts the non-white kind "${crossing.className}" in its categories; pass the white cells' differential`);
  }
  return {
    caseId: context.caseId,
    caseName: context.caseName,
    model: context.model,
    scheme: differential.scheme,
    categories: differential.categories.map((category) => ({
      name: category.category,
      count: category.count,
      percent: category.percent,
      low: category.low * 100,
      high: category.high * 100,
      ...(category.loinc !== undefined && { loinc: category.loinc }),
    })),
    whiteCells: differential.total,
    outOfScope: { count: differential.outOfScope, counted: context.outOfScopeCounted ?? true },
    bins: context.bins ?? [],
    nonWhite: (context.nonWhite?.rows ?? []).map((row) => ({
      kind: row.kind,
      count: row.count,
      ...(row.per100White && { per100White: { value: row.per100White.value, low: row.per100White.low, high: row.per100White.high } }),
    })),
    ...(context.signOff && { signOff: context.signOff }),
    ...(context.comment !== undefined && { comment: context.comment }),
  };
}
