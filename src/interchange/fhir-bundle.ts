import type { Bundle, BundleEntry, CodeableConcept, Device, DiagnosticReport, Observation, ObservationComponent, Quantity, Reference } from 'fhir/r4';
import { checkCaseSummary, type CaseSummary, type SummaryCategory, type SummaryNonWhite } from './case-summary';
import { asCode, CASE_SYSTEM, CATEGORY_SYSTEM, DIFFERENTIAL_PANEL, HEMATOLOGY, LABORATORY, LOINC_SYSTEM, RESULT_SYSTEM, resultCode, UCUM_SYSTEM } from './fhir-codes';
import { stableUuid } from './stable-uuid';

/** UCUM for "per 100 white cells", as LOINC's nucleated red cell terms give it. */
const PER_100_WBC = '/100{WBCs}';

function rounded(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

function quantity(value: number, unit: string, decimals: number): Quantity {
  return { value: rounded(value, decimals), unit, system: UCUM_SYSTEM, code: unit };
}

/** Percentages as the differential CSV writes them: one decimal, intervals two. */
const percent = (value: number): Quantity => quantity(value, '%', 1);
const percentBound = (value: number): Quantity => quantity(value, '%', 2);

function countedComponent(count: number): ObservationComponent {
  return { code: resultCode('cells-counted', 'Cells counted'), valueInteger: count };
}

/** The 95% interval as a component: the value's own uncertainty, not a reference range (which means "normal for patients"). */
function intervalComponent(low: Quantity, high: Quantity): ObservationComponent {
  return { code: resultCode('interval-95', 'Exact 95% confidence interval (Clopper-Pearson)'), valueRange: { low, high } };
}

/** The LOINC code where there is one, and always this project's own, so a receiver can map either. */
function codeWithLoinc(system: string, code: string, name: string, loinc: string | undefined): CodeableConcept {
  return { coding: [...(loinc ? [{ system: LOINC_SYSTEM, code: loinc }] : []), { system, code, display: name }], text: name };
}

/**
 * One case as a FHIR R4 Bundle of type `collection`: a DiagnosticReport (LOINC 24318-8, the manual
 * differential panel; `preliminary` until signed off, then `final` with the signer as results
 * interpreter and the case comment as conclusion), a Device for the model, and one Observation per
 * category (per 100 white cells, UCUM `%`, LOINC where the scheme has a code, the count and the exact 95%
 * interval as components), then the white cells counted, the non-white kinds, out-of-scope and binned
 * cells. Ids are name-based UUIDs of the case and the result, so the same summary gives the same Bundle.
 * docs/fhir.md describes every element.
 */
export function fhirBundle(input: CaseSummary): Bundle {
  const summary = checkCaseSummary(input);
  const { signOff } = summary;
  const status = signOff ? 'final' : 'preliminary';
  const idOf = (...key: string[]): string => stableUuid(summary.caseId, ...key);
  const deviceId = idOf('device');
  const observations: Observation[] = [];
  const observe = (key: string, code: CodeableConcept, value: Partial<Observation>): void => {
    observations.push({
      resourceType: 'Observation',
      id: idOf('observation', key),
      status,
      category: [LABORATORY],
      code,
      ...(signOff && { issued: signOff.at }),
      device: { reference: `urn:uuid:${deviceId}` },
      ...value,
    });
  };

  summary.categories.forEach((category: SummaryCategory) => observe(`category:${category.name}`, codeWithLoinc(CATEGORY_SYSTEM, asCode(category.name), category.name, category.loinc), {
    valueQuantity: percent(category.percent),
    component: [countedComponent(category.count), intervalComponent(percentBound(category.low), percentBound(category.high))],
  }));
  observe('white-cells', resultCode('white-cells-counted', 'White cells counted'), { valueInteger: summary.whiteCells });
  summary.nonWhite.forEach((kind: SummaryNonWhite) => {
    const code = codeWithLoinc(RESULT_SYSTEM, `non-white ${asCode(kind.kind)}`, kind.kind, kind.loinc);
    observe(`non-white:${kind.kind}`, code, kind.per100White
      ? {
        valueQuantity: quantity(kind.per100White.value, PER_100_WBC, 1),
        component: [countedComponent(kind.count), intervalComponent(quantity(kind.per100White.low, PER_100_WBC, 2), quantity(kind.per100White.high, PER_100_WBC, 2))],
      }
      : { valueInteger: kind.count });
  });
  observe('out-of-scope', resultCode('out-of-scope', 'Cells out of scope (unlike the cells the model was trained on)'), {
    valueInteger: summary.outOfScope.count,
    note: [{ text: summary.outOfScope.counted ? 'Counted in the differential as well.' : 'Left out of the differential.' }],
  });
  summary.bins.forEach((bin) => observe(`bin:${bin.name}`, resultCode(`bin ${asCode(bin.name)}`, `Cells binned as ${bin.name}, left out of the differential`), { valueInteger: bin.count }));

  const device: Device = {
    resourceType: 'Device',
    id: deviceId,
    deviceName: [{ name: summary.model.name, type: 'model-name' }],
    version: [{ value: summary.model.version }],
  };
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: idOf('report'),
    identifier: [{ system: CASE_SYSTEM, value: summary.caseId }],
    status,
    category: [HEMATOLOGY],
    code: { coding: [DIFFERENTIAL_PANEL], text: `White cell differential of ${summary.caseName} (${summary.scheme} scheme)` },
    ...(signOff && { issued: signOff.at, resultsInterpreter: [{ display: signOff.signer }] }),
    result: observations.map((observation): Reference => ({ reference: `urn:uuid:${observation.id}` })),
    ...(summary.comment && { conclusion: summary.comment }),
  };
  const entry: BundleEntry[] = [report, device, ...observations].map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource }));
  // The Bundle's own id follows its content: an export made again is the same; a changed case is a new Bundle.
  return { resourceType: 'Bundle', id: stableUuid('bundle', JSON.stringify(entry)), type: 'collection', entry };
}
