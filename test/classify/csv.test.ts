import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv, predictionsCsv } from '../../src/classify/csv';
import type { Prediction } from '../../src/classify/predictions';
import { WbcError } from '../../src/util/errors';

const CLASSES = ['bands', 'blasts'];

function prediction(file: string, overrides: Partial<Prediction> = {}): Prediction {
  return {
    file,
    prediction: 'blasts',
    confidence: 0.81234,
    second: 'bands',
    secondConfidence: 0.18766,
    needsReview: false,
    outOfScopeScore: 0.123456,
    outOfScope: false,
    probabilities: [0.18766, 0.81234],
    group: 'blasts',
    groupConfidence: 0.81234,
    ...overrides,
  };
}

test('header, one row per prediction, 4 decimals, true/false and \\n line endings; the scheme\'s columns last', () => {
  const csv = predictionsCsv([
    prediction('a.png'),
    prediction('b/c.png', { needsReview: true, outOfScopeScore: 1.5, outOfScope: true, group: 'granulocytes', groupConfidence: 0.999994 }),
  ], CLASSES);
  // Everything before group and group_confidence is exactly what the CSV held before reporting schemes.
  assert.equal(
    csv,
    'file,prediction,confidence,second,second_confidence,needs_review,out_of_scope_score,out_of_scope,bands,blasts,group,group_confidence\n' +
      'a.png,blasts,0.8123,bands,0.1877,false,0.1235,false,0.1877,0.8123,blasts,0.8123\n' +
      'b/c.png,blasts,0.8123,bands,0.1877,true,1.5000,true,0.1877,0.8123,granulocytes,1.0000\n',
  );
});

test('a model without an out-of-scope check leaves both out-of-scope cells empty', () => {
  const csv = predictionsCsv([prediction('a.png', { outOfScopeScore: null })], CLASSES);
  assert.deepEqual(parseCsv(csv)[1].slice(5, 8), ['false', '', '']);
});

test('no predictions gives just the header', () => {
  assert.equal(predictionsCsv([], CLASSES), 'file,prediction,confidence,second,second_confidence,needs_review,out_of_scope_score,out_of_scope,bands,blasts,group,group_confidence\n');
});

test('quotes fields with commas, quotes and line breaks', () => {
  const csv = predictionsCsv([prediction('a,b.png'), prediction('say "hi".png'), prediction('two\nlines\r.png')], CLASSES);
  const lines = csv.split('\n');
  assert.ok(lines[1].startsWith('"a,b.png",blasts,'));
  assert.ok(lines[2].startsWith('"say ""hi"".png",blasts,'));
  assert.ok(csv.includes('"two\nlines\r.png",blasts,'));
  assert.ok(!csv.includes('"plain'));
});

test('guards against spreadsheet formulas in file and class names', () => {
  const csv = predictionsCsv(
    [prediction('=HYPERLINK("http://evil")'), prediction('+1.png'), prediction('-x.png'), prediction('@sum.png')],
    ['=cmd', 'blasts'],
  );
  const rows = parseCsv(csv);
  assert.equal(rows[0][8], "'=cmd");
  assert.deepEqual(
    rows.slice(1).map((row) => row[0]),
    ["'=HYPERLINK(\"http://evil\")", "'+1.png", "'-x.png", "'@sum.png"],
  );
  // Only a leading character is dangerous.
  assert.equal(parseCsv(predictionsCsv([prediction('a=b-c.png')], CLASSES))[1][0], 'a=b-c.png');
});

test('round-trips through parseCsv with awkward and Unicode names', () => {
  const classes = ['neutrófilos, segmentados', 'blast "early"', '好酸球\n(eos)'];
  const files = ['ok.png', 'comma, here.png', 'quote"inside.png', 'line\nbreak.png', 'crlf\r\nfile.png', 'ünïcödé 🩸.tif', ''];
  const predictions = files.map((file, i) =>
    prediction(file, {
      prediction: classes[i % 3],
      second: classes[(i + 1) % 3],
      probabilities: [0.5, 0.25, 0.25],
      needsReview: i % 2 === 0,
      group: classes[i % 3],
    }),
  );
  const rows = parseCsv(predictionsCsv(predictions, classes));
  assert.equal(rows.length, files.length + 1);
  assert.deepEqual(rows[0], ['file', 'prediction', 'confidence', 'second', 'second_confidence', 'needs_review', 'out_of_scope_score', 'out_of_scope', ...classes, 'group', 'group_confidence']);
  rows.slice(1).forEach((row, i) => {
    assert.deepEqual(row, [
      files[i],
      classes[i % 3],
      '0.8123',
      classes[(i + 1) % 3],
      '0.1877',
      String(i % 2 === 0),
      '0.1235',
      'false',
      '0.5000',
      '0.2500',
      '0.2500',
      classes[i % 3],
      '0.8123',
    ]);
  });
});

test('parseCsv handles CRLF, a missing final newline, empty fields and empty quoted fields', () => {
  assert.deepEqual(parseCsv('a,b\r\nc,d'), [
    ['a', 'b'],
    ['c', 'd'],
  ]);
  assert.deepEqual(parseCsv('a,,\n""\n'), [['a', '', ''], ['']]);
  assert.deepEqual(parseCsv('x,""'), [['x', '']]);
  assert.deepEqual(parseCsv(''), []);
  assert.deepEqual(parseCsv('\n'), [['']]);
});

test('parseCsv rejects an unterminated quote and text after a closing quote', () => {
  assert.throws(() => parseCsv('"abc\n'), WbcError);
  assert.throws(() => parseCsv('"abc"d,e\n'), WbcError);
});

test('rejects a prediction whose probabilities do not match the classes', () => {
  assert.throws(() => predictionsCsv([prediction('a', { probabilities: [1] })], CLASSES), WbcError);
});

test('names that start with a tab or a carriage return are guarded as formulas too (OWASP CSV injection)', () => {
  const csv = predictionsCsv([
    { file: '\t=1+1.png', prediction: 'a', confidence: 0.9, second: 'b', secondConfidence: 0.1, needsReview: false, outOfScopeScore: null, outOfScope: false, probabilities: [0.9, 0.1], group: 'a', groupConfidence: 0.9 },
    { file: '\r=1+1.png', prediction: 'a', confidence: 0.9, second: 'b', secondConfidence: 0.1, needsReview: false, outOfScopeScore: null, outOfScope: false, probabilities: [0.9, 0.1], group: 'a', groupConfidence: 0.9 },
  ], ['a', 'b']);
  const files = parseCsv(csv).slice(1).map((row) => row[0]);
  assert.deepEqual(files, ["'\t=1+1.png", "'\r=1+1.png"]);
});
