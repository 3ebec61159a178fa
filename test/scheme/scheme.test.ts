import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { categoryProbabilities, topCategory } from '../../src/scheme/category-scores';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { WbcError } from '../../src/util/errors';
import { makeTempDir } from '../helpers/images';

const NINE = ['bands', 'basophils', 'blasts', 'eosinophils', 'lymphocytes', 'metamyelocytes', 'monocytes', 'myelocytes', 'neutrophils'];

test('nine is one category per class, in the model\'s order, whatever its classes', () => {
  const scheme = chooseScheme(undefined, NINE);
  assert.equal(scheme.name, 'nine');
  assert.deepEqual(scheme.categories.map((c) => c.name), NINE);
  assert.ok(scheme.identity);
  assert.deepEqual(Array.from(scheme.categoryOfClass), NINE.map((_, i) => i));
  assert.deepEqual(chooseScheme('nine', ['a', 'b']).categories, [{ name: 'a', classes: ['a'] }, { name: 'b', classes: ['b'] }]);
});

test('grouped puts bands with neutrophils and metamyelocytes with myelocytes', () => {
  const scheme = chooseScheme('grouped', NINE);
  assert.equal(scheme.identity, false);
  assert.deepEqual(scheme.categories.map((c) => c.name), ['neutrophils', 'immature granulocytes', 'lymphocytes', 'monocytes', 'eosinophils', 'basophils', 'blasts']);
  const of = (name: string) => scheme.categories[scheme.categoryOfClass[NINE.indexOf(name)]].name;
  assert.equal(of('bands'), 'neutrophils');
  assert.equal(of('neutrophils'), 'neutrophils');
  assert.equal(of('metamyelocytes'), 'immature granulocytes');
  assert.equal(of('myelocytes'), 'immature granulocytes');
  assert.equal(of('blasts'), 'blasts');
  assert.throws(() => chooseScheme('grouped', ['a', 'b']), /scheme grouped: category "neutrophils" lists "neutrophils", which is not one of the model's classes \(a, b\)/);
});

function schemeFile(dir: string, content: string): string {
  const file = path.join(dir, `scheme-${fs.readdirSync(dir).length}.json`);
  fs.writeFileSync(file, content);
  return file;
}

test('built-in LOINC codes: neutrophils are segmented ones under nine, segmented + bands under grouped', () => {
  const loinc = (scheme: string) => Object.fromEntries(chooseScheme(scheme, NINE).categories.map((c) => [c.name, c.loinc]));
  const nine = loinc('nine');
  const grouped = loinc('grouped');
  assert.equal(nine.neutrophils, '26505-8');
  assert.equal(nine.bands, '26508-2');
  assert.equal(grouped.neutrophils, '26511-6');
  assert.equal(grouped['immature granulocytes'], undefined);
  for (const name of ['lymphocytes', 'monocytes', 'eosinophils', 'basophils', 'blasts']) assert.equal(grouped[name], nine[name], name);
  assert.equal(chooseScheme('nine', ['a']).categories[0].loinc, undefined);
});

test('a lab\'s file: categories in its order, classes as a list or with a LOINC code', () => {
  const dir = makeTempDir();
  const file = schemeFile(dir, JSON.stringify({
    categories: {
      granulocytes: { classes: ['bands', 'neutrophils', 'eosinophils', 'basophils', 'metamyelocytes', 'myelocytes'], loinc: '26499-4' },
      mononuclear: ['lymphocytes', 'monocytes'],
      blasts: ['blasts'],
    },
  }));
  const scheme = chooseScheme(file, NINE);
  assert.equal(scheme.name, path.basename(file));
  assert.deepEqual(scheme.categories, [
    { name: 'granulocytes', classes: ['bands', 'neutrophils', 'eosinophils', 'basophils', 'metamyelocytes', 'myelocytes'], loinc: '26499-4' },
    { name: 'mononuclear', classes: ['lymphocytes', 'monocytes'] },
    { name: 'blasts', classes: ['blasts'] },
  ]);
});

test('a malformed scheme is one line naming the problem', () => {
  const dir = makeTempDir();
  const all = { lymphocytes: ['lymphocytes', 'monocytes', 'blasts', 'eosinophils', 'basophils'], granulocytes: ['bands', 'neutrophils', 'metamyelocytes', 'myelocytes'] };
  const cases: [string, RegExp][] = [
    ['{ "categories": ', /is not valid JSON/],
    ['[1, 2]', /must be an object/],
    ['{ "groups": {} }', /categories is missing/],
    [JSON.stringify({ categories: { ...all, extra: ['promyelocytes'] } }), /category "extra" lists "promyelocytes", which is not one of the model's classes/],
    [JSON.stringify({ categories: { ...all, again: ['bands'] } }), /class "bands" is in two categories, "granulocytes" and "again"/],
    [JSON.stringify({ categories: { lymphocytes: ['lymphocytes'], granulocytes: all.granulocytes } }), /"basophils", "blasts", "eosinophils", "monocytes" are in no category; every class of the model must be in one/],
    [JSON.stringify({ categories: { ...all, empty: [] } }), /category "empty" has no classes/],
    [JSON.stringify({ categories: { ...all, granulocytes: { classes: all.granulocytes, loinc: '26499' } } }), /LOINC code "26499", not of the form 12345-6/],
    [JSON.stringify({ categories: { ...all, granulocytes: { classes: 'bands' } } }), /categories\.granulocytes\.classes must be a list/],
    [JSON.stringify({ categories: {} }), /has no categories/],
  ];
  for (const [content, message] of cases) {
    const error = (() => {
      try {
        chooseScheme(schemeFile(dir, content), NINE);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    assert.ok(error instanceof WbcError, `${content} was accepted`);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), error.message);
  }
  assert.throws(() => chooseScheme(path.join(dir, 'absent.json'), NINE), /no such scheme file: .*absent\.json \(built-in schemes: nine, grouped\)/);
});

test('a library definition is checked like a file', () => {
  assert.equal(chooseScheme({ name: 'two', categories: [{ name: 'all', classes: ['a', 'b'] }] }, ['a', 'b']).identity, false);
  assert.throws(() => chooseScheme({ name: 'bad', categories: [{ name: 'x', classes: 'a' as unknown as string[] }] }, ['a', 'b']), /each category must be/);
  assert.throws(() => chooseScheme({ name: 'bad', categories: [{ name: 'x', classes: ['a'] }, { name: 'x', classes: ['b'] }] }, ['a', 'b']), /names category "x" twice/);
});

test('category probabilities sum their classes\'; a one-class category is exactly its class\'s probability', () => {
  const scheme = chooseScheme({ name: 's', categories: [{ name: 'ab', classes: ['a', 'b'] }, { name: 'c', classes: ['c'] }] }, ['a', 'b', 'c']);
  const probabilities = Float32Array.from([0.3, 0.3, 0.4, 0.1, 0.2, 0.7]);
  const byCategory = categoryProbabilities(probabilities, scheme);
  assert.equal(byCategory.length, 4);
  assert.equal(byCategory[0], Math.fround(Math.fround(0.3) + Math.fround(0.3)));
  assert.equal(byCategory[1], probabilities[2]);
  assert.deepEqual(topCategory(byCategory.subarray(0, 2)), { category: 0, confidence: byCategory[0] });
  assert.deepEqual(topCategory(byCategory.subarray(2, 4)), { category: 1, confidence: byCategory[3] });
  assert.deepEqual(topCategory([0.5, 0.5]), { category: 0, confidence: 0.5 });
});
