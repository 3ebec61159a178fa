import type { CodeableConcept, Coding } from 'fhir/r4';

/** Code systems and codes of the FHIR export; docs/fhir.md lists each with its source. */
export const LOINC_SYSTEM = 'http://loinc.org';
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/** This project's own code systems: a scheme's categories, and the other results of a case. */
export const CATEGORY_SYSTEM = 'urn:wbc-classifier:category';
export const RESULT_SYSTEM = 'urn:wbc-classifier:result';
/** Identifies a case (its review app id) within an installation. */
export const CASE_SYSTEM = 'urn:wbc-classifier:case';

/** LOINC 24318-8 "Manual Differential panel - Blood" (https://loinc.org/24318-8). */
export const DIFFERENTIAL_PANEL: Coding = { system: LOINC_SYSTEM, code: '24318-8', display: 'Manual Differential panel - Blood' };

/** HL7 v2 table 0074 "HM": hematology, the diagnostic service section of the report. */
export const HEMATOLOGY: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM', display: 'Hematology' }],
};

export const LABORATORY: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }],
};

/**
 * A name as a FHIR `code`: no leading, trailing or repeated whitespace (FHIR's code type), so a lab's
 * category "Immature  granulocytes" becomes "Immature granulocytes".
 */
export function asCode(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

/** A result of this project's own code system, e.g. `out-of-scope`, with its text. */
export function resultCode(code: string, text: string): CodeableConcept {
  return { coding: [{ system: RESULT_SYSTEM, code, display: text }], text };
}
