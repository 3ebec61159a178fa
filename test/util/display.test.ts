import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printable, printableLines } from '../../src/util/display';

test('control characters are shown as escapes, ordinary text and Unicode are kept', () => {
  assert.equal(printable('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(printable('\u001b[31mred\u0007'), '\\x1b[31mred\\x07');
  assert.equal(printable('\u009b\u2028\u202e'), '\\x9b\\u2028\\u202e');
  assert.equal(printable('Zelle ß 細胞 "q", -x.png'), 'Zelle ß 細胞 "q", -x.png');
  assert.equal(printableLines('one\u001b\ntwo'), 'one\\x1b\ntwo');
});
