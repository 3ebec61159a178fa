import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { identityAugmentation } from '../../src/augment/policy';
import { native, type EngineOptions, type NativeEngine } from '../../src/native/binding';
import { randomBatch, TINY_INPUT, TINY_NETWORK, tinyEngine } from '../helpers/engines';
import { makeTempDir } from '../helpers/images';
import { assertOneLineError, assertRefused, assertRejected } from '../helpers/native-errors';

const addon = native();
const OPTIONS: EngineOptions = { network: TINY_NETWORK, input: TINY_INPUT, device: 'cpu', bfloat16: false, seed: 1 };
/** The constructor as JavaScript sees it: any value may be passed. */
const AnyEngine = addon.Engine as unknown as new (...args: unknown[]) => NativeEngine;
/** Methods called with arguments their types do not allow, as plain JavaScript could. */
const loose = (engine: NativeEngine) => engine as unknown as Record<string, (...args: unknown[]) => unknown>;
const looseAddon = addon as unknown as Record<string, (...args: unknown[]) => unknown>;

function withNetwork(change: Partial<EngineOptions['network']>): EngineOptions {
  return { ...OPTIONS, network: { ...OPTIONS.network, ...change } };
}

function withInput(change: Partial<EngineOptions['input']>): EngineOptions {
  return { ...OPTIONS, input: { ...OPTIONS.input, ...change } };
}

test('the constructor refuses missing, NaN and out-of-range options with one line naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [withNetwork({ widths: [100000] }), /^network\.widths\[0\] must be a whole number from 1 to 2048, got 100000$/],
    [withNetwork({ widths: [2, 4.5] }), /^network\.widths\[1\] must be a whole number from 1 to 2048, got 4\.5$/],
    [withNetwork({ widths: [] }), /^network\.widths must have 1 to 8 entries, got 0$/],
    [withNetwork({ widths: Array(9).fill(1) }), /^network\.widths must have 1 to 8 entries, got 9$/],
    [withNetwork({ widths: [2048, 2048, 2048, 2048] }), /^network too large: \d+ million parameters \(at most 50 million\)$/],
    [withNetwork({ convsPerStage: 0 }), /^network\.convsPerStage must be a whole number from 1 to 8, got 0$/],
    [withNetwork({ classes: Number.NaN }), /^network\.classes must be a whole number from 2 to 1000, got NaN$/],
    [withNetwork({ classes: undefined }), /^network\.classes must be a whole number from 2 to 1000, got undefined$/],
    [withNetwork({ dropout: 5 }), /^network\.dropout must be a finite number in \[0, 1\), got 5$/],
    [withInput({ storedSize: 0 }), /^input\.storedSize must be a whole number from 8 to 4096, got 0$/],
    [withInput({ inputSize: 0 }), /^input\.inputSize must be a whole number from 1 to 1024, got 0$/],
    [withInput({ inputSize: 100000, storedSize: 100000 }), /^input\.inputSize must be a whole number from 1 to 1024, got 100000$/],
    [withInput({ inputSize: Number.POSITIVE_INFINITY }), /^input\.inputSize must be .*, got Infinity$/],
    [withInput({ inputSize: 4, storedSize: 4 }), /^input\.inputSize 4 is too small for 4 stages/],
    [{ ...withInput({ inputSize: 1024, storedSize: 1024 }), network: { ...TINY_NETWORK, widths: [2048] } }, /^network too large for input\.inputSize 1024: one image needs 8192 MiB/],
    [withInput({ mean: null as unknown as number[] }), /^input\.mean must be an array of 3 numbers, got null$/],
    [withInput({ mean: [0.5, Number.NaN, 0.5] }), /^input\.mean\[1\] must be a finite number, got NaN$/],
    [withInput({ std: [0, 0, 0] }), /^input\.std\[0\] must be a finite number > 0, got 0$/],
    [withInput({ std: [1, 1] }), /^input\.std must have 3 entries, got 2$/],
    [{ ...OPTIONS, network: undefined }, /^network must be an object, got undefined$/],
    [{ ...OPTIONS, input: [1, 2] }, /^input must be an object, got an array$/],
    [{ ...OPTIONS, device: 'gpu' }, /^device must be 'cpu' or 'cuda', got 'gpu'$/],
    [{ ...OPTIONS, device: `${'x'.repeat(39)}é\nrest` }, /^device must be 'cpu' or 'cuda', got 'x{39}\.\.\.'$/],
    [{ ...OPTIONS, bfloat16: 'yes' }, /^bfloat16 must be true or false, got 'yes'$/],
    [{ ...OPTIONS, seed: -1 }, /^seed must be a whole number from 0 to 9007199254740991, got -1$/],
    [{ ...OPTIONS, seed: 1.5 }, /^seed must be a whole number .*, got 1\.5$/],
    [undefined, /^options must be an object, got undefined$/],
  ];
  for (const [options, pattern] of cases) assertRefused(() => new AnyEngine(options), pattern);
  if (!addon.cudaAvailable()) assertRefused(() => new AnyEngine({ ...OPTIONS, device: 'cuda' }), /^device is 'cuda', but this LibTorch build has no CUDA device$/);
});

test('batch arguments of the wrong kind, length or range are refused, and leave the engine as it was', async () => {
  const engine = tinyEngine(1);
  const { pixels, indices, labels } = randomBatch(4, 1);
  const augment = identityAugmentation(4);
  const before = await engine.predict(pixels, indices, null);
  const withField = (row: number, field: number, value: number) => {
    const changed = identityAugmentation(4);
    changed[row * 9 + field] = value;
    return changed;
  };
  const calls: Array<[() => unknown, RegExp]> = [
    [() => engine.predict(pixels, Float64Array.from(indices) as unknown as Int32Array, null), /^indices must be an Int32Array, got Float64Array$/],
    [() => engine.predict(Uint8ClampedArray.from(pixels) as unknown as Uint8Array, indices, null), /^pixels must be a Uint8Array, got Uint8ClampedArray$/],
    [() => engine.predict(Array.from(pixels) as unknown as Uint8Array, indices, null), /^pixels must be a Uint8Array, got an array$/],
    [() => engine.predict(pixels.subarray(1), indices, null), /^pixels holds 767 bytes, not a whole number of 8x8x3-byte images$/],
    [() => engine.predict(pixels, Int32Array.from([0, 4]), null), /^indices\[1\] is 4, outside the pixel buffer of 4 images$/],
    [() => engine.predict(pixels, Int32Array.from([-1]), null), /^indices\[0\] is -1, outside the pixel buffer of 4 images$/],
    [() => engine.predict(pixels, indices, new Float32Array(5)), /^augment must have 36 elements \(9 per index\), got 5$/],
    [() => engine.predict(pixels, indices, new Float64Array(36) as unknown as Float32Array), /^augment must be a Float32Array, got Float64Array$/],
    [() => loose(engine).predict(pixels, indices, 'none'), /^augment must be a Float32Array, got 'none'$/],
    [() => engine.predict(pixels, indices, withField(2, 1, Number.NaN)), /^augment row 2: scale must be a finite number in \[0\.25, 4\], got NaN$/],
    [() => engine.predict(pixels, indices, withField(0, 0, 2.5)), /^augment row 0: dihedral must be a whole number from 0 to 7, got 2\.5$/],
    [() => engine.predict(pixels, indices, withField(0, 0, 8)), /^augment row 0: dihedral must be a whole number from 0 to 7, got 8$/],
    [() => engine.predict(pixels, indices, withField(1, 2, 5)), /^augment row 1: shiftX must be a finite number in \[-1, 1\], got 5$/],
    [() => engine.predict(pixels, indices, withField(3, 4, -1)), /^augment row 3: brightness must be a finite number in \[0, 4\], got -1$/],
    [() => engine.predict(pixels, indices, withField(3, 8, Number.POSITIVE_INFINITY)), /^augment row 3: gainBlue must be a finite number in \[0, 4\], got Infinity$/],
    [() => engine.features(pixels, Uint32Array.from(indices) as unknown as Int32Array, null), /^indices must be an Int32Array, got Uint32Array$/],
    [() => engine.recalibrateNormalization(pixels, Int32Array.from([7])), /^indices\[0\] is 7, outside the pixel buffer of 4 images$/],
    [() => engine.trainStep(pixels, indices, Float32Array.from(labels) as unknown as Int32Array, augment, 0.01), /^labels must be an Int32Array, got Float32Array$/],
    [() => engine.trainStep(pixels, indices, labels.subarray(1), augment, 0.01), /^labels must have 4 elements \(one per index\), got 3$/],
    [() => engine.trainStep(pixels, indices, Int32Array.from([0, 1, 3, 0]), augment, 0.01), /^labels\[2\] is 3, outside the 3 classes$/],
    [() => engine.trainStep(pixels, indices, Int32Array.from([-1, 1, 2, 0]), augment, 0.01), /^labels\[0\] is -1, outside the 3 classes$/],
    [() => engine.trainStep(pixels, indices, labels, augment, Number.NaN), /^learningRate must be a finite number in \(0, 10\], got NaN$/],
    [() => engine.trainStep(pixels, indices, labels, augment, Number.POSITIVE_INFINITY), /^learningRate must be .*, got Infinity$/],
    [() => engine.trainStep(pixels, indices, labels, augment, 0), /^learningRate must be .*, got 0$/],
    [() => engine.trainStep(pixels, indices, labels, augment, 1e6), /^learningRate must be a finite number in \(0, 10\], got 1000000$/],
    [() => loose(engine).trainStep(pixels, indices, labels, augment), /^learningRate must be .*, got undefined$/],
    [() => loose(engine).trainStep(pixels, indices, labels, null, 0.01), /^augment must be a Float32Array, got null$/],
    [() => engine.trainStep(pixels, new Int32Array(0), new Int32Array(0), new Float32Array(0), 0.01), /^indices must not be empty for a training step$/],
    [() => loose(engine).trainStep(), /^pixels must be a Uint8Array, got undefined$/],
  ];
  for (const [call, pattern] of calls) await assertRejected(call, pattern);
  assert.deepEqual(await engine.predict(pixels, indices, null), before);
});

test('configureTraining, setHead, save, load, setThreads and makeBatch refuse bad arguments', () => {
  const engine = tinyEngine(2);
  const options = { weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array([1, 1, 1]) };
  const features = engine.featureSize();
  const { pixels, indices } = randomBatch(2, 2);
  const calls: Array<[() => unknown, RegExp]> = [
    [() => engine.configureTraining({ ...options, classWeights: new Float32Array(2) }), /^classWeights must have 3 elements \(one per class\), got 2$/],
    [() => engine.configureTraining({ ...options, classWeights: new Float64Array(3) as unknown as Float32Array }), /^classWeights must be a Float32Array, got Float64Array$/],
    [() => engine.configureTraining({ ...options, classWeights: Float32Array.from([1, Number.NaN, 1]) }), /^classWeights\[1\] must be a finite number in \[0, 1e\+06\], got NaN$/],
    [() => engine.configureTraining({ ...options, classWeights: Float32Array.from([1, -1, 1]) }), /^classWeights\[1\] must be .*, got -1$/],
    [() => engine.configureTraining({ ...options, classWeights: new Float32Array(3) }), /^classWeights must not all be zero$/],
    [() => engine.configureTraining({ ...options, labelSmoothing: 1 }), /^labelSmoothing must be a finite number in \[0, 1\), got 1$/],
    [() => engine.configureTraining({ ...options, weightDecay: Number.NaN }), /^weightDecay must be a finite number in \[0, 1\], got NaN$/],
    [() => loose(engine).configureTraining(), /^options must be an object, got undefined$/],
    [() => engine.setHead(new Float32Array(3 * features - 1), new Float32Array(3)), new RegExp(`^weight must have ${3 * features} elements \\(classes x featureSize\\), got ${3 * features - 1}$`)],
    [() => engine.setHead(new Float32Array(3 * features).fill(Number.NaN), new Float32Array(3)), /^weight\[0\] must be a finite number, got NaN$/],
    [() => engine.setHead(new Float32Array(3 * features), new Float64Array(3) as unknown as Float32Array), /^bias must be a Float32Array, got Float64Array$/],
    [() => loose(engine).save(42, false), /^path must be a string, got 42$/],
    [() => engine.save('', false), /^path must not be empty$/],
    [() => engine.save('weights\0.pt', false), /^path must not contain a NUL character$/],
    [() => loose(engine).save('x.pt', 'yes'), /^withOptimizer must be true or false, got 'yes'$/],
    [() => loose(engine).load(42, false), /^source must be a path or a Uint8Array, got 42$/],
    [() => engine.load(new Float32Array(4) as unknown as Uint8Array, false), /^source must be a path or a Uint8Array, got Float32Array$/],
    [() => engine.load('/no/such/dir/weights\n.pt', false), /^cannot read \/no\/such\/dir\/weights\\n\.pt: No such file or directory$/],
    [() => addon.setThreads(0), /^threads must be a whole number from 1 to 1024, got 0$/],
    [() => addon.setThreads(100000), /^threads must be a whole number from 1 to 1024, got 100000$/],
    [() => addon.setThreads(1.5), /^threads must be .*, got 1\.5$/],
    [() => addon.setThreads(Number.NaN), /^threads must be .*, got NaN$/],
    [() => looseAddon.setThreads('4'), /^threads must be a whole number from 1 to 1024, got '4'$/],
    [() => addon.makeBatch(pixels, 0, 8, indices, null, [0, 0, 0], [1, 1, 1]), /^storedSize must be a whole number from 1 to 4096, got 0$/],
    [() => addon.makeBatch(pixels, 8, 9, indices, null, [0, 0, 0], [1, 1, 1]), /^inputSize must be a whole number from 1 to 8, got 9$/],
    [() => addon.makeBatch(pixels, 8, 8, indices, null, [0, 0], [1, 1, 1]), /^mean must have 3 entries, got 2$/],
    [() => addon.makeBatch(pixels, 8, 8, indices, null, [0, 0, 0], [1, 0, 1]), /^std\[1\] must be a finite number > 0, got 0$/],
    [() => addon.makeBatch(pixels, 8, 8, Float32Array.from(indices) as unknown as Int32Array, null, [0, 0, 0], [1, 1, 1]), /^indices must be an Int32Array, got Float32Array$/],
    [() => addon.makeBatch(pixels, 7, 7, indices, null, [0, 0, 0], [1, 1, 1]), /^pixels holds 384 bytes, not a whole number of 7x7x3-byte images$/],
  ];
  for (const [call, pattern] of calls) assertRefused(call, pattern);
});

/**
 * Loads and saves in a child process, so that a regression that waits on a FIFO or reads /dev/zero
 * forever fails this test at its time limit instead of hanging the suite. Returns each call's error
 * message, or 'ok'.
 */
function fileCallsInChild(calls: Array<{ op: 'load' | 'save'; file: string }>): string[] {
  const binding = path.join(__dirname, '..', '..', 'src', 'native', 'binding.js');
  const script = `
    const { native } = require(${JSON.stringify(binding)});
    const engine = new (native().Engine)(${JSON.stringify(OPTIONS)});
    const results = ${JSON.stringify(calls)}.map(({ op, file }) => {
      try { op === 'load' ? engine.load(file, false) : engine.save(file, false); return 'ok'; }
      catch (error) { return error instanceof Error ? error.message : 'not an Error: ' + String(error); }
    });
    process.stdout.write(JSON.stringify(results));`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.signal, null, `the child was killed (${child.signal}): a call hung or crashed; ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as string[];
}

test('weights are read only from regular files of a sane size: a FIFO, /dev/zero, a folder or a 2 GiB file is refused at once', () => {
  const dir = makeTempDir();
  const fifo = path.join(dir, 'fifo.pt');
  execFileSync('mkfifo', [fifo]);
  const zero = path.join(dir, 'zero.pt');
  fs.symlinkSync('/dev/zero', zero);
  const folder = path.join(dir, 'folder.pt');
  fs.mkdirSync(folder);
  const huge = path.join(dir, 'huge.pt');
  fs.writeFileSync(huge, '');
  fs.truncateSync(huge, 2 * 1024 ** 3); // sparse: no disk space used
  const results = fileCallsInChild([
    { op: 'load', file: fifo },
    { op: 'load', file: zero },
    { op: 'load', file: folder },
    { op: 'load', file: huge },
    { op: 'save', file: fifo },
    { op: 'save', file: folder },
  ]);
  const expected = [
    /^cannot read .*fifo\.pt: it is a FIFO, not a regular file$/,
    /^cannot read .*zero\.pt: it is a character device, not a regular file$/,
    /^cannot read .*folder\.pt: it is a folder, not a regular file$/,
    /^cannot read .*huge\.pt: it holds 2048 MiB, more than the 1024 MiB a weights file may have$/,
    /^cannot write .*fifo\.pt: it is a FIFO or device, not a regular file$/,
    /^cannot write .*folder\.pt: Is a directory$/,
  ];
  results.forEach((message, i) => {
    assertOneLineError(new Error(message), `call ${i}`);
    assert.match(message, expected[i]);
  });
});

function savedBytes(engine: NativeEngine, withOptimizer = false): Buffer {
  const file = path.join(makeTempDir(), 'weights.pt');
  engine.save(file, withOptimizer);
  return fs.readFileSync(file);
}

test("another network's weights are refused, naming the tensor, and the engine keeps its own", async () => {
  const engine = tinyEngine(3);
  const { pixels, indices } = randomBatch(3, 3);
  const before = await engine.predict(pixels, indices, null);
  const other = (change: Partial<EngineOptions['network']>) => new AnyEngine(withNetwork(change));
  const features = engine.featureSize();
  assertRefused(() => engine.load(savedBytes(other({ classes: 5 })), false),
    new RegExp(`^weights do not match the network: head\\.weight is \\[5, ${features}\\] in the file, \\[3, ${features}\\] expected$`));
  assertRefused(() => engine.load(savedBytes(other({ convsPerStage: 3 })), false), /^weights do not match the network: the file has body\.\d+\.weight, which the network lacks$/);
  assertRefused(() => engine.load(savedBytes(other({ convsPerStage: 1 })), false), /^weights do not match the network: the file has no body\.\d+\.weight$/);
  assertRefused(() => engine.load(savedBytes(other({ widths: [4, 4, 8, 16] })), false), /^weights do not match the network: body\.0\.weight is \[4, 3, 3, 3\] in the file, \[2, 3, 3, 3\] expected$/);
  // A training state of another network, resumed: refused before the optimiser state is read.
  const otherTraining = other({ classes: 5 });
  otherTraining.configureTraining({ weightDecay: 0, labelSmoothing: 0, classWeights: new Float32Array(5).fill(1) });
  assertRefused(() => engine.load(savedBytes(otherTraining, true), true), /^weights do not match the network: head\.weight/);
  assertRefused(() => engine.load(savedBytes(tinyEngine(4)), true), /^the file holds no optimiser state to resume from$/);
  assert.deepEqual(await engine.predict(pixels, indices, null), before);
});

test('weights holding NaN are refused, naming the tensor', () => {
  const engine = tinyEngine(5);
  const marker = new Float32Array([1234.5, 2345.5, 3456.5]);
  engine.setHead(new Float32Array(3 * engine.featureSize()), marker);
  const bytes = savedBytes(engine);
  // The archive stores tensors uncompressed: the bias is the marker's bytes, found and overwritten in place.
  const at = bytes.indexOf(Buffer.from(marker.buffer));
  assert.ok(at > 0, 'the head bias is stored as raw floats');
  bytes.writeFloatLE(Number.NaN, at + 4);
  assertRefused(() => tinyEngine(6).load(bytes, false), /^the weights hold non-finite values \(NaN or infinity\) in head\.bias$/);
});

test('damaged archives and LibTorch failures reach JavaScript as one line, without the C++ backtrace', async () => {
  const engine = tinyEngine(7);
  const bytes = savedBytes(engine);
  const damaged = [bytes.subarray(0, 500), bytes.subarray(0, bytes.length - 30), Buffer.from('not a weights file'), new Uint8Array(0)];
  for (const candidate of damaged) {
    assert.throws(() => engine.load(candidate, false), (error) => {
      assertOneLineError(error, `load of ${candidate.length} bytes`);
      return true;
    });
  }
  // LibTorch's own check (batch norm needs two values per channel in training), thrown as a c10::Error.
  const { pixels, labels } = randomBatch(1, 7);
  await assertRejected(() => engine.trainStep(pixels, Int32Array.from([0]), labels, identityAugmentation(1), 0.01), /^Expected more than 1 value per channel when training/);
});

test('JavaScript that runs while arguments are read cannot pull memory from under the engine', () => {
  const { pixels, indices } = randomBatch(2, 8);
  // A getter on the mean array detaches the pixel buffer: the pixels are read after it, and are then empty.
  const mean = [0, 0, 0];
  Object.defineProperty(mean, 0, { get: () => (structuredClone(pixels.buffer, { transfer: [pixels.buffer] }), 0) });
  assertRefused(() => addon.makeBatch(pixels, 8, 8, indices, null, mean, [1, 1, 1]), /^indices\[0\] is 0, outside the pixel buffer of 0 images$/);
  // Methods called on an object that is not an engine.
  const engine = tinyEngine(8);
  assertRefused(() => (engine.predict as unknown as (...args: unknown[]) => unknown).call({}, pixels, indices, null), /^Illegal invocation$/);
  assertRefused(() => (addon.Engine as unknown as (options: unknown) => unknown)(OPTIONS), /^Class constructors cannot be invoked without 'new'$/);
});
