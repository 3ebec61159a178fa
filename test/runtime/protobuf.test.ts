import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageWriter, encodeVarint, intField, readFields, textField } from '../../src/runtime/protobuf';

test('varints follow the wire format: 1 -> 01, 300 -> ac 02, -1 -> ten bytes', () => {
  assert.deepEqual(Array.from(encodeVarint(1n)), [0x01]);
  assert.deepEqual(Array.from(encodeVarint(300n)), [0xac, 0x02]);
  const minusOne = new MessageWriter().int(1, -1).finish();
  assert.deepEqual(Array.from(minusOne), [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
});

test('fields read back as written, nested messages included', () => {
  const inner = new MessageWriter().string(1, 'clé').int(2, 42);
  const bytes = new MessageWriter().int(1, -7).float(2, 0.5).message(3, inner).int(4, 2 ** 40).finish();
  const fields = readFields(bytes);
  assert.equal(intField(fields, 1), -7);
  assert.equal(new DataView((fields[1].value as Uint8Array).slice().buffer).getFloat32(0, true), 0.5);
  const innerFields = readFields(fields[2].value as Uint8Array);
  assert.equal(textField(innerFields, 1), 'clé');
  assert.equal(intField(innerFields, 2), 42);
  assert.equal(intField(fields, 4), 2 ** 40);
});

test('bytes cut short or of an unknown wire type are refused', () => {
  const bytes = new MessageWriter().string(1, 'hello').finish();
  assert.throws(() => readFields(bytes.subarray(0, bytes.length - 1)), /past the end/);
  assert.throws(() => readFields(Uint8Array.from([0x08, 0x80])), /inside a varint/);
  assert.throws(() => readFields(Uint8Array.from([0x0b])), /wire type 3/);
});
