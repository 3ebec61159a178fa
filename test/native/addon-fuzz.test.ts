import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { identityAugmentation } from '../../src/augment/policy';
import { native, type EngineOptions, type NativeEngine } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';
import { randomBatch, TINY_INPUT, TINY_NETWORK, tinyEngine } from '../helpers/engines';
import { makeTempDir } from '../helpers/images';
import { assertOneLineError } from '../helpers/native-errors';

const SEED = 20261126;
const CASES = 1500;
/** No native call may take longer than this: a hang shows as a failure, not as a stuck suite. */
const CASE_LIMIT_MS = 5000;

const addon = native();
const OPTIONS: EngineOptions = { network: TINY_NETWORK, input: TINY_INPUT, device: 'cpu', bfloat16: false, seed: 1 };
type Loose = (...args: unknown[]) => unknown;

const TYPED_KINDS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];
const LENGTHS = [0, 1, 3, 36, 768];

/** Values no argument should accept as they are, or that sit on a boundary. */
function hostileValue(rng: Rng): unknown {
  const pool: Array<() => unknown> = [
    () => Number.NaN, () => Number.POSITIVE_INFINITY, () => Number.NEGATIVE_INFINITY, () => -1, () => 0, () => -0, () => 0.5, () => 1.5,
    () => 2 ** 31, () => -(2 ** 31), () => 2 ** 53, () => 1e300, () => -1e300, () => Number.MAX_VALUE, () => Number.MIN_VALUE,
    () => '', () => '1', () => 'cpu', () => null, () => undefined, () => true, () => false, () => ({}), () => [], () => [1, 2, 3],
    () => [Number.NaN, 0, 0], () => () => 1, () => Symbol('x'), () => 10n, () => new ArrayBuffer(8), () => new DataView(new ArrayBuffer(8)),
    () => new BigInt64Array(3),
    () => ({ get widths(): never { throw new Error('getter failed'); } }),
    () => new TYPED_KINDS[rng.int(TYPED_KINDS.length)](LENGTHS[rng.int(LENGTHS.length)]),
  ];
  return pool[rng.int(pool.length)]();
}

/** A typed array changed in kind, length or one element's value. */
function mutateTypedArray(array: ArrayLike<number> & { length: number }, rng: Rng): unknown {
  if (!TYPED_KINDS.some((Kind) => array instanceof Kind)) return array; // a BigInt64Array or DataView stays as it is
  switch (rng.int(3)) {
    case 0: {
      const Kind = TYPED_KINDS[rng.int(TYPED_KINDS.length)];
      return Kind.from(Array.from(array));
    }
    case 1: {
      const length = [0, Math.max(0, array.length - 1), array.length + 1, array.length * 2][rng.int(4)];
      const Kind = array.constructor as new (length: number) => { set(source: ArrayLike<number>): void };
      const resized = new Kind(length);
      resized.set(Array.from(array).slice(0, length));
      return resized;
    }
    default: {
      const copy = (array.constructor as unknown as { from(source: ArrayLike<number>): number[] }).from(array);
      const extremes = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 2 ** 31 - 1, -(2 ** 31), 1e30, -1e30, 0.5, 3, 9];
      if (copy.length > 0) copy[rng.int(copy.length)] = extremes[rng.int(extremes.length)];
      return copy;
    }
  }
}

/** An options object whose fields are plain values (not getters, which the hostile pool includes). */
function isOptionsObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value) || Array.isArray(value)) return false;
  return Object.values(Object.getOwnPropertyDescriptors(value)).every((descriptor) => 'value' in descriptor);
}

/** An options object with one field, at any depth, replaced by a hostile value or removed. */
function mutateObject(value: Record<string, unknown>, rng: Rng): unknown {
  const copy: Record<string, unknown> = { ...value };
  const keys = Object.keys(copy);
  const key = keys[rng.int(keys.length)];
  const field = copy[key];
  if (isOptionsObject(field) && rng.next() < 0.6) {
    copy[key] = mutateObject(field, rng);
  } else if (Array.isArray(field) && rng.next() < 0.5) {
    const items = [...field];
    if (rng.next() < 0.5) items[rng.int(items.length)] = hostileValue(rng);
    else items.length = rng.int(items.length + 2);
    copy[key] = items;
  } else if (ArrayBuffer.isView(field) && rng.next() < 0.5) {
    copy[key] = mutateTypedArray(field as unknown as Float32Array, rng);
  } else if (rng.next() < 0.3) {
    delete copy[key];
  } else {
    copy[key] = hostileValue(rng);
  }
  return copy;
}

function mutateArguments(args: unknown[], rng: Rng): unknown[] {
  const out = [...args];
  const mutations = 1 + rng.int(2);
  for (let m = 0; m < mutations; m += 1) {
    const roll = rng.next();
    if (roll < 0.1) {
      out.length = rng.int(out.length + 1); // arguments missing
      continue;
    }
    if (out.length === 0 || roll < 0.15) {
      out.push(hostileValue(rng)); // an argument too many
      continue;
    }
    const i = rng.int(out.length);
    const value = out[i];
    if (ArrayBuffer.isView(value) && roll < 0.6) out[i] = mutateTypedArray(value as unknown as Float32Array, rng);
    else if (isOptionsObject(value) && roll < 0.6) out[i] = mutateObject(value, rng);
    else out[i] = hostileValue(rng);
  }
  return out;
}

test('every exported function and method, fed mutated arguments, succeeds or throws one line, promptly', async () => {
  const dir = makeTempDir();
  const rng = new Rng(SEED);
  const engine = tinyEngine(1);
  const { pixels, indices, labels } = randomBatch(4, 1);
  const features = engine.featureSize();
  const weightsFile = path.join(dir, 'weights.pt');
  engine.save(weightsFile, true);
  const weights = fs.readFileSync(weightsFile);
  const other = new addon.Engine({ ...OPTIONS, network: { ...TINY_NETWORK, classes: 5 } });
  const otherFile = path.join(dir, 'other.pt');
  other.save(otherFile, false);
  const loadSources = [weightsFile, otherFile, weights, weights.subarray(0, 700), Buffer.from('PK\x03\x04 not really'), dir, '/dev/null', path.join(dir, 'missing.pt')];
  const call = (method: keyof NativeEngine) => (...args: unknown[]) => (engine[method] as unknown as Loose).apply(engine, args);

  const sites: Array<{ name: string; valid: () => unknown[]; run: Loose }> = [
    { name: 'new Engine', valid: () => [structuredClone(OPTIONS)], run: (...args) => new (addon.Engine as unknown as new (...a: unknown[]) => unknown)(...args) },
    { name: 'configureTraining', valid: () => [{ weightDecay: 0.01, labelSmoothing: 0.1, classWeights: new Float32Array([1, 2, 1]) }], run: call('configureTraining') },
    { name: 'trainStep', valid: () => [pixels, indices, labels, identityAugmentation(4), 0.001], run: call('trainStep') },
    { name: 'predict', valid: () => [pixels, indices, rng.next() < 0.5 ? null : identityAugmentation(4)], run: call('predict') },
    { name: 'features', valid: () => [pixels, indices, null], run: call('features') },
    { name: 'recalibrateNormalization', valid: () => [pixels, indices], run: call('recalibrateNormalization') },
    { name: 'setHead', valid: () => [new Float32Array(3 * features).fill(0.01), new Float32Array(3)], run: call('setHead') },
    { name: 'featureSize', valid: () => [], run: call('featureSize') },
    { name: 'save', valid: () => [[path.join(dir, 'saved.pt'), dir, '/dev/null', path.join(dir, 'missing', 'x.pt')][rng.int(4)], rng.next() < 0.5], run: call('save') },
    { name: 'load', valid: () => [loadSources[rng.int(loadSources.length)], rng.next() < 0.5], run: call('load') },
    { name: 'setThreads', valid: () => [1], run: addon.setThreads as Loose },
    { name: 'cudaAvailable', valid: () => [], run: addon.cudaAvailable as Loose },
    { name: 'makeBatch', valid: () => [pixels, 8, 8, indices, null, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]], run: addon.makeBatch as Loose },
  ];

  let succeeded = 0;
  let refused = 0;
  // A mutated path ('1', 'cpu') is a valid relative one: let saves land in the temporary folder.
  const workingDir = process.cwd();
  process.chdir(dir);
  after(() => process.chdir(workingDir));
  for (let k = 0; k < CASES; k += 1) {
    const site = sites[rng.int(sites.length)];
    const args = mutateArguments(site.valid(), rng);
    const context = `case ${k}: ${site.name}`;
    const start = performance.now();
    try {
      await site.run(...args);
      succeeded += 1;
    } catch (error) {
      assertOneLineError(error, context);
      refused += 1;
    }
    const elapsed = performance.now() - start;
    assert.ok(elapsed < CASE_LIMIT_MS, `${context} took ${Math.round(elapsed)} ms`);
  }
  assert.ok(refused > CASES / 2, `most mutated calls are refused (${refused} of ${CASES})`);
  assert.ok(succeeded > 0, 'some mutations leave the arguments valid, and those calls work');
  // Whatever was refused or accepted, the engine still answers a valid call in the shape it promises.
  assert.equal((await engine.predict(pixels, indices, null)).length, indices.length * 3);
});
