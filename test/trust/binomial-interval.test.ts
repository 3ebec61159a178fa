import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { clopperPearsonInterval } from '../../src/trust/binomial-interval';
import { WbcError } from '../../src/util/errors';

/** As percentages with two decimals, the way Rümke's table and CLSI H20-A2 print them. */
function percentages(count: number, n: number): [string, string] {
  const { low, high } = clopperPearsonInterval(count, n);
  return [(low * 100).toFixed(2), (high * 100).toFixed(2)];
}

test('the exact 95% interval matches published values', () => {
  assert.deepEqual(percentages(5, 100), ['1.64', '11.28']);
  assert.deepEqual(percentages(20, 100), ['12.67', '29.18']);
  assert.deepEqual(percentages(10, 200), ['2.42', '9.00']);
  assert.deepEqual(percentages(0, 300), ['0.00', '1.22']);
});

test('the interval of n − k mirrors that of k, and all of n reaches 100%', () => {
  for (const [k, n] of [[3, 17], [0, 40], [12, 50]]) {
    const a = clopperPearsonInterval(k, n);
    const b = clopperPearsonInterval(n - k, n);
    assert.ok(Math.abs(a.low - (1 - b.high)) < 1e-9 && Math.abs(a.high - (1 - b.low)) < 1e-9, `${k}/${n}`);
  }
  assert.equal(clopperPearsonInterval(300, 300).high, 1);
  assert.deepEqual(clopperPearsonInterval(0, 0), { low: 0, high: 1 });
});

test('the interval contains the observed rate and narrows as counts grow', () => {
  const small = clopperPearsonInterval(5, 50);
  const large = clopperPearsonInterval(50, 500);
  assert.ok(small.low < 0.1 && 0.1 < small.high && large.low < 0.1 && 0.1 < large.high);
  assert.ok(large.high - large.low < small.high - small.low);
});

test('impossible counts are refused', () => {
  assert.throws(() => clopperPearsonInterval(5, 4), WbcError);
  assert.throws(() => clopperPearsonInterval(-1, 4), WbcError);
  assert.throws(() => clopperPearsonInterval(1.5, 4), WbcError);
  assert.throws(() => clopperPearsonInterval(1, 4, 1), WbcError);
});
