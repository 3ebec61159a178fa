import { fhirBundle } from '../interchange/fhir-bundle';
import { caseSummaryFromSchemeDifferential } from '../interchange/summary-from-differential';
import type { FhirBundle } from './api-schemas';
import type { CaseResult } from './case-summary';
import { reviewSchemeDifferential } from './review-differential';

/**
 * A case as reviewed, as a FHIR R4 Bundle (docs/fhir.md): in the review's scheme, preliminary until signed
 * off, then final with the signer and the case's comment. The case is identified by its name (its folder,
 * the slide), so the same slide exported again keeps its resource ids: a new version of the same results.
 * Out-of-scope cells not reviewed yet are left out of the categories, as in the review's differential.
 */
export function caseFhirBundle(result: CaseResult): FhirBundle {
  const differential = reviewSchemeDifferential(result.differential);
  // fhirBundle always gives a collection with its id and entries; R4's Bundle type leaves them optional.
  return fhirBundle(caseSummaryFromSchemeDifferential(differential, {
    caseId: result.case.name,
    caseName: result.case.name,
    model: result.model,
    nonWhite: differential.nonWhite,
    outOfScopeCounted: false,
    bins: Object.entries(result.differential.bins).map(([name, count]) => ({ name, count })),
    ...(result.signOff && { signOff: { signer: result.signOff.name, at: result.signOff.at } }),
    ...(result.comment && { comment: result.comment.text }),
  })) as FhirBundle;
}
