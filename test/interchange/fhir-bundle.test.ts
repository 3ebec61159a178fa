import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Bundle, DiagnosticReport, Observation } from 'fhir/r4';
import { parseCsv } from '../../src/classify/csv';
import { countNonWhite, separateNonWhite } from '../../src/classify/non-white-count';
import { toPredictions } from '../../src/classify/predictions';
import { schemeDifferential, schemeDifferentialCsv, type SchemeDifferential } from '../../src/classify/scheme-differential';
import { checkCaseSummary, type CaseSummary } from '../../src/interchange/case-summary';
import { fhirBundle } from '../../src/interchange/fhir-bundle';
import { CATEGORY_SYSTEM, LOINC_SYSTEM, RESULT_SYSTEM } from '../../src/interchange/fhir-codes';
import { fhirR4Errors } from '../../src/interchange/fhir-validate';
import { stableUuid } from '../../src/interchange/stable-uuid';
import { caseSummaryFromSchemeDifferential, type CaseContext } from '../../src/interchange/summary-from-differential';
import { chooseScheme } from '../../src/scheme/choose-scheme';

const NINE = ['bands', 'basophils', 'blasts', 'eosinophils', 'lymphocytes', 'metamyelocytes', 'monocytes', 'myelocytes', 'neutrophils'];
const NON_WHITE = ['erythroblasts', 'platelets'];
const ELEVEN = [...NINE, ...NON_WHITE];

/** A seeded mix of confident and doubtful cells over `classes`, so every category gets a different count. */
function probabilities(cells: number, classes: readonly string[], seed: number): Float32Array {
  const out = new Float32Array(cells * classes.length);
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < cells; i += 1) {
    const top = Math.floor(next() * classes.length);
    const second = (top + 1 + Math.floor(next() * (classes.length - 1))) % classes.length;
    const share = 0.5 + next() * 0.5;
    out[i * classes.length + top] = share;
    out[i * classes.length + second] = 1 - share;
  }
  return out;
}

function differential(schemeName: string, cells = 137, seed = 7): SchemeDifferential {
  const files = Array.from({ length: cells }, (_, i) => `${i}.png`);
  const scheme = chooseScheme(schemeName, NINE);
  return schemeDifferential(toPredictions(files, probabilities(cells, NINE, seed), NINE, 0.8, { scheme }), NINE, scheme);
}

const CONTEXT: CaseContext = { caseId: 'case-7', caseName: 'slide 7', model: { name: 'default', version: 'sha256:abc' } };
const SIGNED: Partial<CaseContext> = { signOff: { signer: 'A. Reviewer', at: '2026-12-05T14:03:00Z' }, comment: 'Smudge cells present; see hematopathologist.' };

function entriesOf<T>(bundle: Bundle, type: string): T[] {
  return (bundle.entry ?? []).map((entry) => entry.resource).filter((resource) => resource?.resourceType === type) as T[];
}

function observationCoded(bundle: Bundle, system: string, code: string): Observation {
  const found = entriesOf<Observation>(bundle, 'Observation').filter((o) => o.code.coding?.some((c) => c.system === system && c.code === code));
  assert.equal(found.length, 1, `one observation coded ${system}|${code}`);
  return found[0];
}

function component(observation: Observation, code: string) {
  const found = observation.component?.find((c) => c.code.coding?.some((coding) => coding.code === code));
  assert.ok(found, `component ${code}`);
  return found;
}

/** A signed grouped case, an unsigned nine case, and a signed case of a model with non-white kinds. */
function bundles(): { name: string; summary: CaseSummary; bundle: Bundle; csv: string }[] {
  const nine = differential('nine');
  const grouped = differential('grouped', 211, 3);
  const cells = 160;
  const files = Array.from({ length: cells }, (_, i) => `${i}.png`);
  const eleven = probabilities(cells, ELEVEN, 11);
  const all = toPredictions(files, eleven, ELEVEN, 0.8);
  const { white, nonWhite } = separateNonWhite(all, ELEVEN, NON_WHITE);
  // The white cells' differential, scored over the white classes only (their probabilities renormalised).
  const whiteRows = white.map((p) => {
    const w = p.probabilities.slice(0, NINE.length);
    const sum = w.reduce((a, b) => a + b, 0) || 1;
    return w.map((x) => x / sum);
  });
  const groupedScheme = chooseScheme('grouped', NINE);
  const whiteDifferential = schemeDifferential(toPredictions(white.map((p) => p.file), Float32Array.from(whiteRows.flat()), NINE, 0.8, { scheme: groupedScheme }), NINE, groupedScheme);
  const nonWhiteCount = countNonWhite(nonWhite, NON_WHITE, whiteDifferential.total);
  const made = [
    { name: 'nine, unsigned', differential: nine, context: CONTEXT },
    { name: 'grouped, signed', differential: grouped, context: { ...CONTEXT, caseId: 'case-8', ...SIGNED, bins: [{ name: 'smudge', count: 4 }, { name: 'other cell', count: 1 }] } },
    { name: 'grouped with non-white, signed', differential: whiteDifferential, context: { ...CONTEXT, caseId: 'case-9', ...SIGNED, nonWhite: nonWhiteCount } },
  ];
  return made.map(({ name, differential: d, context }) => {
    const summary = caseSummaryFromSchemeDifferential(d, context);
    return { name, summary, bundle: fhirBundle(summary), csv: schemeDifferentialCsv(d) };
  });
}

const MADE = bundles();

test('every exported Bundle validates against the FHIR R4 definitions with 0 errors', () => {
  for (const { name, bundle } of MADE) assert.deepEqual(fhirR4Errors(bundle), [], name);
});

test('the validation fails on broken Bundles, so the test above can fail', () => {
  const { bundle } = MADE[1];
  const broken = (change: (copy: any) => void): Bundle => {
    const copy = structuredClone(bundle);
    change(copy);
    return copy;
  };
  const cases: [string, Bundle][] = [
    ['a report without its required code', broken((b) => { delete b.entry[0].resource.code; })],
    ['a component without its required code', broken((b) => { delete b.entry[2].resource.component[0].code; })],
    ['an element R4 does not define', broken((b) => { b.entry[2].resource.confidence = 0.9; })],
    ['a Bundle without its type', broken((b) => { delete b.type; })],
    ['a quantity given as text', broken((b) => { b.entry[2].resource.valueQuantity.value = '40.0'; })],
  ];
  for (const [what, resource] of cases) assert.notDeepEqual(fhirR4Errors(resource), [], what);
});

test('counts, percentages and intervals in the Bundle equal the differential CSV, row for row', () => {
  for (const { name, bundle, csv, summary } of MADE) {
    const rows = parseCsv(csv).filter((row) => row[1] === '' && summary.categories.some((c) => c.name === row[0]));
    assert.equal(rows.length, summary.categories.length, name);
    let total = 0;
    for (const [category, , count, percent, low, high, loinc] of rows) {
      const observation = observationCoded(bundle, CATEGORY_SYSTEM, category);
      assert.equal(component(observation, 'cells-counted').valueInteger, Number(count), `${name}: ${category}`);
      assert.equal(observation.valueQuantity?.value?.toFixed(1), percent, `${name}: ${category}`);
      assert.deepEqual(observation.valueQuantity && [observation.valueQuantity.unit, observation.valueQuantity.system, observation.valueQuantity.code], ['%', 'http://unitsofmeasure.org', '%']);
      const interval = component(observation, 'interval-95').valueRange!;
      assert.deepEqual([interval.low?.value?.toFixed(2), interval.high?.value?.toFixed(2)], [low, high], `${name}: ${category}`);
      assert.equal(observation.code.coding?.find((c) => c.system === LOINC_SYSTEM)?.code ?? '', loinc, `${name}: ${category}`);
      total += Number(count);
    }
    const csvTotal = parseCsv(csv).find((row) => row[0] === 'total')![2];
    assert.equal(total, Number(csvTotal));
    assert.equal(observationCoded(bundle, RESULT_SYSTEM, 'white-cells-counted').valueInteger, Number(csvTotal), name);
    const outOfScope = parseCsv(csv).find((row) => row[0] === 'out_of_scope')![2];
    assert.equal(observationCoded(bundle, RESULT_SYSTEM, 'out-of-scope').valueInteger, Number(outOfScope), name);
  }
});

test('built-in schemes carry the LOINC codes they have; the others are coded locally with their text', () => {
  const grouped = MADE[1].bundle;
  assert.equal(observationCoded(grouped, CATEGORY_SYSTEM, 'eosinophils').code.coding?.find((c) => c.system === LOINC_SYSTEM)?.code, '26450-7');
  assert.equal(observationCoded(grouped, CATEGORY_SYSTEM, 'basophils').code.coding?.find((c) => c.system === LOINC_SYSTEM)?.code, '30180-4');
  assert.equal(observationCoded(grouped, CATEGORY_SYSTEM, 'neutrophils').code.coding?.find((c) => c.system === LOINC_SYSTEM)?.code, '26511-6');
  assert.equal(observationCoded(MADE[0].bundle, CATEGORY_SYSTEM, 'neutrophils').code.coding?.find((c) => c.system === LOINC_SYSTEM)?.code, '26505-8');
  const ig = observationCoded(grouped, CATEGORY_SYSTEM, 'immature granulocytes');
  assert.equal(ig.code.text, 'immature granulocytes');
  assert.equal(ig.code.coding?.length, 1);
});

test('status, signer and comment: preliminary before sign-off, final after', () => {
  const [unsigned, signed] = MADE;
  const reportOf = (bundle: Bundle) => entriesOf<DiagnosticReport>(bundle, 'DiagnosticReport')[0];
  assert.equal(unsigned.bundle.type, 'collection');
  assert.equal(reportOf(unsigned.bundle).status, 'preliminary');
  assert.equal(reportOf(unsigned.bundle).resultsInterpreter, undefined);
  assert.equal(reportOf(unsigned.bundle).conclusion, undefined);
  assert.ok(entriesOf<Observation>(unsigned.bundle, 'Observation').every((o) => o.status === 'preliminary'));
  const report = reportOf(signed.bundle);
  assert.equal(report.status, 'final');
  assert.deepEqual(report.resultsInterpreter, [{ display: 'A. Reviewer' }]);
  assert.equal(report.issued, '2026-12-05T14:03:00Z');
  assert.equal(report.conclusion, 'Smudge cells present; see hematopathologist.');
  assert.deepEqual(report.code.coding?.map((c) => c.code), ['24318-8']);
  assert.ok(entriesOf<Observation>(signed.bundle, 'Observation').every((o) => o.status === 'final' && o.issued === '2026-12-05T14:03:00Z'));
  assert.equal(observationCoded(signed.bundle, RESULT_SYSTEM, 'bin smudge').valueInteger, 4);
  assert.equal(observationCoded(signed.bundle, RESULT_SYSTEM, 'bin other cell').valueInteger, 1);
});

test('non-white kinds: nucleated red cells per 100 white cells with their interval, platelets as a count', () => {
  const { bundle, summary } = MADE[2];
  const nrbc = summary.nonWhite.find((k) => k.kind === 'erythroblasts')!;
  const observation = observationCoded(bundle, RESULT_SYSTEM, 'non-white erythroblasts');
  assert.deepEqual(observation.valueQuantity, { value: Number(nrbc.per100White!.value.toFixed(1)), unit: '/100{WBCs}', system: 'http://unitsofmeasure.org', code: '/100{WBCs}' });
  assert.equal(component(observation, 'cells-counted').valueInteger, nrbc.count);
  assert.equal(component(observation, 'interval-95').valueRange?.high?.value, Number(nrbc.per100White!.high.toFixed(2)));
  const platelets = summary.nonWhite.find((k) => k.kind === 'platelets')!;
  assert.ok(nrbc.count > 0 && platelets.count > 0, 'the fixture has both kinds');
  assert.equal(observationCoded(bundle, RESULT_SYSTEM, 'non-white platelets').valueInteger, platelets.count);
  assert.equal(summary.whiteCells + nrbc.count + platelets.count, 160);
});

test('ids are name-based: the same case gives the same Bundle, references resolve within it', () => {
  for (const { name, summary, bundle } of MADE) {
    assert.equal(JSON.stringify(fhirBundle(structuredClone(summary))), JSON.stringify(bundle), name);
    const urls = (bundle.entry ?? []).map((entry) => entry.fullUrl);
    assert.equal(new Set(urls).size, urls.length, name);
    for (const entry of bundle.entry ?? []) assert.equal(entry.fullUrl, `urn:uuid:${entry.resource?.id}`);
    const report = entriesOf<DiagnosticReport>(bundle, 'DiagnosticReport')[0];
    const observations = entriesOf<Observation>(bundle, 'Observation');
    assert.deepEqual(report.result?.map((r) => r.reference), observations.map((o) => `urn:uuid:${o.id}`));
    for (const o of observations) assert.ok(urls.includes(o.device?.reference), `${name}: device of ${o.code.text}`);
  }
  const other = fhirBundle({ ...MADE[0].summary, caseId: 'case-70' });
  assert.notEqual(other.entry?.[0].resource?.id, MADE[0].bundle.entry?.[0].resource?.id);
  const signedLater = fhirBundle({ ...MADE[1].summary, signOff: { signer: 'A. Reviewer', at: '2026-12-05T15:00:00Z' } });
  assert.equal(signedLater.entry?.[0].resource?.id, MADE[1].bundle.entry?.[0].resource?.id, 'the same report, a new version');
  assert.notEqual(signedLater.id, MADE[1].bundle.id, 'a new Bundle');
  assert.match(stableUuid('a'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(stableUuid('a', 'b'), stableUuid('ab'));
});

test('a summary that does not add up is refused in one line, before anything is exported', () => {
  const good = MADE[1].summary;
  const wrong: [string, (s: CaseSummary) => void, RegExp][] = [
    ['counts', (s) => { s.categories[0].count += 1; }, /categories hold \d+ cells, not the \d+ white cells counted|is not \d+ of \d+ white cells/],
    ['percent', (s) => { s.categories[0].percent += 5; }, /is not \d+ of \d+ white cells/],
    ['interval', (s) => { s.categories[0].low = s.categories[0].percent + 1; }, /does not hold its value/],
    ['LOINC', (s) => { s.categories[0].loinc = '26450'; }, /not of the form 12345-6/],
    ['sign-off time', (s) => { s.signOff!.at = '2026-12-05 14:03'; }, /ISO 8601 instant/],
    ['signer', (s) => { s.signOff!.signer = ''; }, /signer must be a non-empty text/],
    ['category twice', (s) => { s.categories[1].name = s.categories[0].name; }, /named twice/],
  ];
  for (const [what, change, message] of wrong) {
    const copy = structuredClone(good);
    change(copy);
    assert.throws(() => fhirBundle(copy), message, what);
  }
  assert.doesNotThrow(() => checkCaseSummary(structuredClone(good)));
});

test('a scheme differential that counts non-white kinds as categories is refused with the non-white count', () => {
  const cells = 40;
  const scheme = chooseScheme('nine', ELEVEN);
  const predictions = toPredictions(Array.from({ length: cells }, (_, i) => `${i}.png`), probabilities(cells, ELEVEN, 5), ELEVEN, 0.8, { scheme });
  const { nonWhite } = separateNonWhite(predictions, ELEVEN, NON_WHITE);
  assert.throws(() => caseSummaryFromSchemeDifferential(schemeDifferential(predictions, ELEVEN, scheme), { ...CONTEXT, nonWhite: countNonWhite(nonWhite, NON_WHITE, cells) }),
    /counts the non-white kind "erythroblasts" in its categories/);
});
