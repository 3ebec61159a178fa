import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuHasNativeBfloat16, resolvePrecision, setUpRuntime } from '../../src/native/runtime';

test('auto picks bf16 only on a CPU with bf16 instructions, and never on CUDA', () => {
  assert.equal(resolvePrecision('auto', 'cpu', true), 'bf16');
  assert.equal(resolvePrecision('auto', 'cpu', false), 'fp32');
  assert.equal(resolvePrecision('auto', 'cuda', true), 'fp32');
});

test('fp32 is honoured everywhere; bf16 without the instructions, or on CUDA, is a one-line error', () => {
  for (const device of ['cpu', 'cuda'] as const) {
    for (const hasBf16 of [true, false]) assert.equal(resolvePrecision('fp32', device, hasBf16), 'fp32');
  }
  assert.equal(resolvePrecision('bf16', 'cpu', true), 'bf16');
  assert.throws(() => resolvePrecision('bf16', 'cpu', false), /^WbcError: --precision bf16 needs a CPU with bf16 instructions \(avx512_bf16 or amx_bf16\), and this one has none: use --precision fp32 or auto$/);
  assert.throws(() => resolvePrecision('bf16', 'cuda', true), /^WbcError: --precision bf16 is for the CPU/);
});

test('the runtime on this machine follows the choice, and refuses an unknown one', () => {
  assert.equal(setUpRuntime({ device: 'cpu', threads: 1, precision: 'fp32' }).bfloat16, false);
  const auto = setUpRuntime({ device: 'cpu', threads: 1 });
  assert.equal(auto.precision, cpuHasNativeBfloat16() ? 'bf16' : 'fp32');
  assert.equal(auto.bfloat16, auto.precision === 'bf16');
  assert.throws(() => setUpRuntime({ precision: 'fp16' as 'fp32' }), /--precision must be one of/);
});
