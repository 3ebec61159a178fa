import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Bundle, DiagnosticReport, Observation } from 'fhir/r4';
import { parseCsv } from '../../src/classify/csv';
import { CATEGORY_SYSTEM, RESULT_SYSTEM } from '../../src/interchange/fhir-codes';
import { fhirR4Errors } from '../../src/interchange/fhir-validate';
import type { Cell, WorklistRow } from '../../src/serve/api-schemas';
import { serve } from '../../src/serve/serve';
import { makeCasesFolder, makeServedFolder } from './served-folder';

/** A lab's scheme for the synthetic red/green/blue model: two categories, one of two classes. */
const COOL_WARM = { categories: { cool: ['blue', 'green'], warm: { classes: ['red'], loinc: '26464-8' } } };

async function get(url: string): Promise<Response> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return response;
}

async function send(url: string, method: 'PUT' | 'POST', body: unknown): Promise<void> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, `${method} ${url}: ${await response.text()}`);
}

function resources<T>(bundle: Bundle, type: string): T[] {
  return (bundle.entry ?? []).map((entry) => entry.resource).filter((resource) => resource?.resourceType === type) as T[];
}

function coded(observations: readonly Observation[], system: string): Map<string, Observation> {
  return new Map(observations.flatMap((o) => o.code.coding!.filter((c) => c.system === system).map((c) => [c.code!, o] as const)));
}

/**
 * Checks a case's Bundle against the R4 definitions and against the case's own differential CSV, both
 * fetched from the server: every category's count, the white cells counted and each bin's count.
 */
async function checkAgainstCsv(base: string): Promise<{ report: DiagnosticReport }> {
  const response = await get(`${base}fhir`);
  assert.match(String(response.headers.get('content-type')), /^application\/fhir\+json/);
  const bundle = await response.json() as Bundle;
  assert.deepEqual(fhirR4Errors(bundle), [], 'valid against the FHIR R4 definitions');
  const [report] = resources<DiagnosticReport>(bundle, 'DiagnosticReport');
  const observations = resources<Observation>(bundle, 'Observation');
  const csv = parseCsv(await (await get(`${base}export/differential.csv`)).text());
  assert.deepEqual(csv[0], ['category', 'class', 'count', 'percent', 'ci_low', 'ci_high', 'loinc']);
  const categoryCounts = new Map(csv.filter((row) => Object.keys(COOL_WARM.categories).includes(row[0]) && row[1] === '').map((row) => [row[0], Number(row[2])]));
  const byCategory = coded(observations, CATEGORY_SYSTEM);
  assert.deepEqual([...byCategory.keys()].sort(), [...categoryCounts.keys()].sort(), 'one observation per category of the scheme');
  for (const [category, count] of categoryCounts) {
    const counted = byCategory.get(category)!.component!.find((c) => c.code.coding!.some((coding) => coding.code === 'cells-counted'))!;
    assert.equal(counted.valueInteger, count, `${category}: the Bundle's count is the CSV's`);
  }
  const results = coded(observations, RESULT_SYSTEM);
  assert.equal(results.get('white-cells-counted')!.valueInteger, Number(csv.find((row) => row[0] === 'total')![2]));
  for (const row of csv.filter((r) => r[0].startsWith('bin: '))) {
    assert.equal(results.get(`bin ${row[0].slice('bin: '.length)}`)!.valueInteger, Number(row[2]), row[0]);
  }
  return { report };
}

test('GET /api/cases/:case/fhir: each case as a valid FHIR R4 Bundle in the review\'s scheme, final once signed off, its counts those of its differential CSV', { timeout: 180_000 }, async () => {
  const served = await makeServedFolder(4);
  const cases = makeCasesFolder(served, ['slide-a', 'slide-b'], 6);
  const scheme = path.join(served.dir, 'cool-warm.json');
  fs.writeFileSync(scheme, JSON.stringify(COOL_WARM));
  const server = await serve(served.model, cases, { port: 0, db: path.join(served.dir, 'cases.sqlite'), threads: 1, scheme });
  try {
    const until = Date.now() + 120_000;
    while (!(await (await get(`${server.url}api/cases`)).json() as WorklistRow[]).every((c) => c.state === 'to_review')) {
      assert.ok(Date.now() < until, 'the cases were not classified in time');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Case 1: every flagged cell reviewed as its prediction, one cell binned, one moved to another category; commented and signed off.
    const signedBase = `${server.url}api/cases/1/`;
    const cells = await (await get(`${signedBase}cells`)).json() as Cell[];
    const flagged = cells.filter((c) => c.needs_review || c.out_of_scope === true);
    for (const cell of flagged) await send(`${signedBase}cells/${cell.id}`, 'PUT', { label: cell.prediction, reviewer: 'Ann' });
    await send(`${signedBase}cells/${cells[0].id}`, 'PUT', { label: 'smudge', reviewer: 'Ann' });
    await send(`${signedBase}cells/${cells[1].id}`, 'PUT', { label: cells[1].group === 'warm' ? 'blue' : 'red', reviewer: 'Ann' });
    await send(`${signedBase}comment`, 'PUT', { comment: 'Smudge cells present.', reviewer: 'Ann' });
    await send(`${signedBase}sign-off`, 'POST', { name: 'Dr Lee' });
    // Case 2: commented, not signed off.
    await send(`${server.url}api/cases/2/comment`, 'PUT', { comment: 'Waiting for a second look.', reviewer: 'Ben' });

    const signed = (await checkAgainstCsv(signedBase)).report;
    const signOff = await (await get(`${signedBase}sign-off`)).json() as { name: string; at: string };
    assert.equal(signed.status, 'final');
    assert.deepEqual(signed.resultsInterpreter, [{ display: 'Dr Lee' }]);
    assert.equal(signed.issued, signOff.at);
    assert.equal(signed.conclusion, 'Smudge cells present.');
    const info = await (await get(`${signedBase}info`)).json() as { scheme: { name: string } };
    assert.equal(signed.code.text, `White cell differential of slide-a (${info.scheme.name} scheme)`);

    const unsigned = (await checkAgainstCsv(`${server.url}api/cases/2/`)).report;
    assert.equal(unsigned.status, 'preliminary');
    assert.equal(unsigned.resultsInterpreter, undefined);
    assert.equal(unsigned.issued, undefined);
    assert.equal(unsigned.conclusion, 'Waiting for a second look.');

    // A folder of cases has no review at /api/…: its Bundles are per case.
    assert.equal((await fetch(`${server.url}api/fhir`)).status, 404);
  } finally {
    await server.close();
  }
});
