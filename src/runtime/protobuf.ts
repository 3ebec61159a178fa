/**
 * The small part of the protocol-buffer wire format that ONNX files need: varints (int32, int64, enums),
 * 32-bit floats, and length-delimited fields (strings, bytes, packed arrays and nested messages).
 * A message is written as a list of fields; nesting is a field whose value is another message's bytes.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Builds one message's bytes field by field. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = [];

  private push(bytes: Uint8Array | number[]): void {
    this.parts.push(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.push(encodeVarint(BigInt(field * 8 + wireType)));
  }

  /** int32, int64 or enum; negative values take ten bytes, as the format requires. */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf field ${field}: ${value} is not a whole number`);
    this.tag(field, VARINT);
    this.push(encodeVarint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.push(encodeVarint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: MessageWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((sum, part) => sum + part.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

export function encodeVarint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0n);
  return Uint8Array.from(bytes);
}

/** One decoded field: varints as bigint, fixed-width fields and length-delimited ones as their bytes. */
export interface Field {
  field: number;
  wireType: number;
  value: bigint | Uint8Array;
}

/** Splits a message into its fields, in order; throws on bytes that are not a well-formed message. */
export function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= bytes.length) throw new RangeError('protobuf message ends inside a varint');
      if (shift > 63n) throw new RangeError('protobuf varint longer than ten bytes');
      const byte = bytes[offset];
      offset += 1;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length: number): Uint8Array => {
    if (offset + length > bytes.length) throw new RangeError('protobuf field runs past the end of the message');
    const value = bytes.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  while (offset < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === VARINT) fields.push({ field, wireType, value: varint() });
    else if (wireType === FIXED64) fields.push({ field, wireType, value: take(8) });
    else if (wireType === LENGTH_DELIMITED) fields.push({ field, wireType, value: take(Number(varint())) });
    else if (wireType === FIXED32) fields.push({ field, wireType, value: take(4) });
    else throw new RangeError(`protobuf wire type ${wireType} is not supported`);
  }
  return fields;
}

/** The bytes of every length-delimited occurrence of `field`. */
export function bytesFields(fields: readonly Field[], field: number): Uint8Array[] {
  return fields.filter((f) => f.field === field && f.value instanceof Uint8Array).map((f) => f.value as Uint8Array);
}

export function textField(fields: readonly Field[], field: number): string | undefined {
  const [bytes] = bytesFields(fields, field);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

/** A varint field as a signed 64-bit number (exact for the safe-integer range). */
export function intField(fields: readonly Field[], field: number): number | undefined {
  const found = fields.find((f) => f.field === field && f.wireType === VARINT);
  return found === undefined ? undefined : Number(BigInt.asIntN(64, found.value as bigint));
}
