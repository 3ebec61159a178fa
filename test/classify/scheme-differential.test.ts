import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv } from '../../src/classify/csv';
import { differentialCount, differentialCsv } from '../../src/classify/differential';
import { toPredictions } from '../../src/classify/predictions';
import { formatSchemeDifferential, schemeDifferential, schemeDifferentialCsv } from '../../src/classify/scheme-differential';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';

const NINE = ['bands', 'basophils', 'blasts', 'eosinophils', 'lymphocytes', 'metamyelocytes', 'monocytes', 'myelocytes', 'neutrophils'];

/** One row of probabilities: `weights` by class name, the rest 0. */
function row(weights: Record<string, number>): number[] {
  return NINE.map((name) => weights[name] ?? 0);
}

const ROWS = [
  row({ neutrophils: 0.9, bands: 0.1 }),
  row({ bands: 0.55, neutrophils: 0.45 }), // a band call that is sure of "neutrophils" as a category
  row({ bands: 0.4, neutrophils: 0.2, myelocytes: 0.4 }), // top class is bands (tie goes to the earlier class), category neutrophils 0.6
  row({ myelocytes: 0.42, metamyelocytes: 0.3, bands: 0.28 }), // top class myelocytes, category immature granulocytes 0.72
  row({ lymphocytes: 0.97, monocytes: 0.03 }),
  row({ blasts: 0.6, lymphocytes: 0.4 }),
];
const PROBABILITIES = Float32Array.from(ROWS.flat());
const FILES = ROWS.map((_, i) => `${i}.png`);

test('under a scheme the category and its summed confidence decide the review flag', () => {
  const grouped = chooseScheme('grouped', NINE);
  const predictions = toPredictions(FILES, PROBABILITIES, NINE, 0.7, { scheme: grouped });
  assert.deepEqual(predictions.map((p) => p.group), ['neutrophils', 'neutrophils', 'neutrophils', 'immature granulocytes', 'lymphocytes', 'blasts']);
  assert.deepEqual(predictions.map((p) => p.prediction), ['neutrophils', 'bands', 'bands', 'myelocytes', 'lymphocytes', 'blasts']);
  assert.equal(predictions[1].groupConfidence, Math.fround(Math.fround(0.55) + Math.fround(0.45)));
  // Bands at 0.55 go to review class by class, not as neutrophils (1.0); 0.6 and blasts at 0.6 stay flagged.
  assert.deepEqual(predictions.map((p) => p.needsReview), [false, false, true, false, false, true]);
  const nine = toPredictions(FILES, PROBABILITIES, NINE, 0.7, { scheme: chooseScheme('nine', NINE) });
  assert.deepEqual(nine.map((p) => p.needsReview), [false, true, true, true, false, true]);
  assert.deepEqual(nine.map((p) => [p.group, p.groupConfidence]), nine.map((p) => [p.prediction, p.confidence]));
  assert.deepEqual(nine, toPredictions(FILES, PROBABILITIES, NINE, 0.7), 'nine is exactly the answers without a scheme');
});

test('the scheme differential counts categories with intervals, the class detail beneath, and the I/T ratio', () => {
  const grouped = chooseScheme('grouped', NINE);
  const d = schemeDifferential(toPredictions(FILES, PROBABILITIES, NINE, 0.7, { scheme: grouped }), NINE, grouped);
  const neutrophils = d.categories[0];
  assert.equal(neutrophils.count, 3);
  assert.deepEqual(neutrophils.classes.map((c) => [c.className, c.count]), [['neutrophils', 1], ['bands', 2]]);
  const immature = d.categories[1];
  assert.deepEqual(immature.classes.map((c) => [c.className, c.count]), [['metamyelocytes', 0], ['myelocytes', 1]]);
  assert.deepEqual([neutrophils.low, neutrophils.high], Object.values(clopperPearsonInterval(3, 6)));
  assert.equal(d.categories.reduce((sum, c) => sum + c.count, 0), 6);
  // I/T: (2 bands + 1 myelocyte) / (those + 1 neutrophil).
  assert.deepEqual(d.itRatio && [d.itRatio.immature, d.itRatio.lineage, d.itRatio.ratio], [3, 4, 0.75]);
  assert.equal(d.needsReview, 2);

  const csv = parseCsv(schemeDifferentialCsv(d));
  assert.deepEqual(csv[0], ['category', 'class', 'count', 'percent', 'ci_low', 'ci_high', 'loinc']);
  assert.deepEqual(csv[1], ['neutrophils', '', '3', '50.0', '11.81', '88.19', '26511-6']);
  assert.deepEqual(csv[2].slice(0, 4), ['neutrophils', 'neutrophils', '1', '16.7']);
  assert.deepEqual(csv[3].slice(0, 4), ['neutrophils', 'bands', '2', '33.3']);
  const named = Object.fromEntries(csv.slice(1).filter((r) => r[1] === '').map((r) => [r[0], r.slice(2, 6)]));
  assert.deepEqual(named.i_t_ratio.slice(0, 2), ['3', '75.0']);
  assert.deepEqual(named.neutrophil_lineage, ['4', '66.7', '', '']);
  assert.deepEqual(named.total, ['6', '100.0', '', '']);
  assert.deepEqual(named.needs_review, ['2', '33.3', '', '']);

  const text = formatSchemeDifferential(d);
  assert.match(text, /^neutrophils +3 +50\.0 +11\.81–88\.19$/m);
  assert.match(text, /^ {2}bands +2 +33\.3/m);
  assert.match(text, /^I\/T ratio: 0\.750 \(95% /m);
  assert.doesNotMatch(text, /^ {2}lymphocytes/m, 'a one-class category named after its class has no detail line');
});

test('a category\'s LOINC code reaches the CSV; without the lineage classes there is no I/T ratio', () => {
  const classes = ['lymphocytes', 'neutrophils'];
  const scheme = chooseScheme({ name: 'lab', categories: [{ name: 'all', classes, loinc: '26464-8' }] }, classes);
  const d = schemeDifferential(toPredictions(['a'], Float32Array.from([0.2, 0.8]), classes, 0.5, { scheme }), classes, scheme);
  assert.equal(d.itRatio, null);
  const csv = parseCsv(schemeDifferentialCsv(d));
  assert.deepEqual(csv[1], ['all', '', '1', '100.0', '2.50', '100.00', '26464-8']);
  assert.ok(!csv.some((r) => r[0] === 'i_t_ratio'));
});

test('class by class, the differential CSV is today\'s rows with the I/T ratio after them', () => {
  const predictions = toPredictions(FILES, PROBABILITIES, NINE, 0.7);
  const rows = parseCsv(differentialCsv(differentialCount(predictions, NINE)));
  assert.deepEqual(rows.slice(-5).map((r) => r[0]), ['total', 'needs_review', 'out_of_scope', 'neutrophil_lineage', 'i_t_ratio']);
  // Class by class: 2 bands, 1 myelocyte, 1 neutrophil.
  assert.deepEqual(rows[rows.length - 1].slice(0, 3), ['i_t_ratio', '3', '75.0']);
});

test('a model with non-white kinds: each unlisted kind is a category of its own, counted apart from the white cells', () => {
  const classes = [...NINE, 'erythroblasts', 'platelets'];
  const kinds = ['erythroblasts', 'platelets'];
  assert.throws(() => chooseScheme('grouped', classes), /"erythroblasts", "platelets" are in no category/);
  const grouped = chooseScheme('grouped', classes, kinds);
  assert.deepEqual(grouped.categories.slice(-2).map((c) => c.name), kinds);
  assert.deepEqual(grouped.nonWhite, [false, false, false, false, false, false, false, true, true]);
  assert.ok(chooseScheme('nine', classes, kinds).identity, 'nine stays class by class');
  assert.throws(() => chooseScheme({ name: 'mixed', categories: [{ name: 'small', classes: ['lymphocytes', 'erythroblasts'] }, ...NINE.filter((n) => n !== 'lymphocytes').map((n) => ({ name: n, classes: [n] })), { name: 'platelets', classes: ['platelets'] }] }, classes, kinds),
    /^WbcError: scheme mixed: category "small" mixes white classes with non-white kinds/);
  const wide = (weights: Record<string, number>) => classes.map((name) => weights[name] ?? 0);
  const rows = [
    wide({ neutrophils: 0.9, bands: 0.1 }),
    wide({ erythroblasts: 0.7, lymphocytes: 0.3 }),
    wide({ erythroblasts: 0.4, bands: 0.35, neutrophils: 0.25 }), // top class erythroblasts, top category neutrophils (0.6)
    wide({ platelets: 0.95, bands: 0.05 }),
  ];
  const files = rows.map((_, i) => `${i}.png`);
  const d = schemeDifferential(toPredictions(files, Float32Array.from(rows.flat()), classes, 0.5, { scheme: grouped }), classes, grouped);
  assert.equal(d.total, 2, 'the two cells in non-white categories are not white cells');
  assert.deepEqual(d.categories.map((c) => c.category), grouped.categories.slice(0, 7).map((c) => c.name));
  assert.equal(d.categories[0].count, 2);
  assert.deepEqual(d.nonWhite?.rows.map((r) => [r.kind, r.count]), [['erythroblasts', 1], ['platelets', 1]]);
  assert.equal(d.nonWhite?.rows[0].per100White?.value, 50);
  const csv = parseCsv(schemeDifferentialCsv(d));
  assert.deepEqual(csv.find((r) => r[0] === 'erythroblasts')?.slice(0, 4), ['erythroblasts', '', '1', '50.0']);
  assert.ok(csv.every((r) => r.length === 7));
  assert.match(formatSchemeDifferential(d), /not white cells, not in the differential:\n {2}erythroblasts/);
});
