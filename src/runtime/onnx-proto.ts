/**
 * ONNX's messages (onnx.proto, field numbers from the ONNX specification), written with the small
 * protobuf encoder in ./protobuf: just what a plain inference graph needs.
 */
import { MessageWriter, bytesFields, intField, readFields, textField } from './protobuf';

/** TensorProto.DataType values used here. */
export const FLOAT = 1;
export const UINT8 = 2;
export const INT64 = 7;

/** IR version 8 (ONNX 1.10+) is read by every ONNX Runtime of the last few years. */
export const IR_VERSION = 8;
export const OPSET = 17;

export type Attribute = number | number[] | string | { float: number } | { floats: number[] };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  values: Float32Array | number[];
}

/** A dimension: a fixed size, or a name for one chosen at run time (the batch). */
export type Dimension = number | string;

export interface OnnxValue {
  name: string;
  type: typeof FLOAT | typeof UINT8 | typeof INT64;
  shape: Dimension[];
}

export interface OnnxModel {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  metadata: Record<string, string>;
  producer: { name: string; version: string };
  docString?: string;
}

function attribute(name: string, value: Attribute): MessageWriter {
  // AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7).
  const message = new MessageWriter().string(1, name);
  if (typeof value === 'number') return message.int(3, value).int(20, 2);
  if (typeof value === 'string') return message.string(4, value).int(20, 3);
  if (Array.isArray(value)) {
    for (const item of value) message.int(8, item);
    return message.int(20, 7);
  }
  if ('float' in value) return message.float(2, value.float).int(20, 1);
  for (const item of value.floats) message.float(7, item);
  return message.int(20, 6);
}

function node(spec: OnnxNode, index: number): MessageWriter {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
  const message = new MessageWriter();
  for (const input of spec.inputs) message.string(1, input);
  for (const output of spec.outputs) message.string(2, output);
  message.string(3, `${spec.op}_${index}`).string(4, spec.op);
  for (const [name, value] of Object.entries(spec.attributes ?? {})) message.message(5, attribute(name, value));
  return message;
}

function tensor(spec: OnnxTensor): MessageWriter {
  // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian values).
  const count = spec.dims.reduce((product, d) => product * d, 1);
  if (spec.values.length !== count) throw new RangeError(`tensor ${spec.name}: ${spec.values.length} values for shape [${spec.dims}]`);
  const message = new MessageWriter();
  for (const dim of spec.dims) message.int(1, dim);
  message.int(2, spec.type).string(8, spec.name);
  const raw = spec.type === FLOAT
    ? new Uint8Array(Float32Array.from(spec.values).buffer)
    : new Uint8Array(BigInt64Array.from(Array.from(spec.values, (v) => BigInt(v))).buffer);
  return message.bytes(9, raw);
}

function valueInfo(spec: OnnxValue): MessageWriter {
  // ValueInfoProto{name 1, type 2: TypeProto{tensor_type 1: {elem_type 1, shape 2: {dim 1: {dim_value 1 | dim_param 2}}}}}
  const shape = new MessageWriter();
  for (const dim of spec.shape) {
    shape.message(1, typeof dim === 'number' ? new MessageWriter().int(1, dim) : new MessageWriter().string(2, dim));
  }
  const tensorType = new MessageWriter().int(1, spec.type).message(2, shape);
  return new MessageWriter().string(1, spec.name).message(2, new MessageWriter().message(1, tensorType));
}

/** The bytes of an .onnx file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  // GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
  const graph = new MessageWriter();
  model.nodes.forEach((spec, index) => graph.message(1, node(spec, index)));
  graph.string(2, model.graphName);
  for (const spec of model.initializers) graph.message(5, tensor(spec));
  for (const spec of model.inputs) graph.message(11, valueInfo(spec));
  for (const spec of model.outputs) graph.message(12, valueInfo(spec));

  // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.
  const message = new MessageWriter()
    .int(1, IR_VERSION)
    .string(2, model.producer.name)
    .string(3, model.producer.version);
  if (model.docString) message.string(6, model.docString);
  message.message(7, graph).message(8, new MessageWriter().string(1, '').int(2, OPSET));
  for (const [key, value] of Object.entries(model.metadata)) {
    message.message(14, new MessageWriter().string(1, key).string(2, value));
  }
  return message.finish();
}

/** What an .onnx file says about itself: its versions and metadata_props (the graph is left to ONNX Runtime). */
export function readModelHeader(bytes: Uint8Array): { irVersion?: number; opset?: number; producer?: string; metadata: Record<string, string> } {
  const fields = readFields(bytes);
  const metadata: Record<string, string> = {};
  for (const entry of bytesFields(fields, 14)) {
    const entryFields = readFields(entry);
    metadata[textField(entryFields, 1) ?? ''] = textField(entryFields, 2) ?? '';
  }
  const defaultOpset = bytesFields(fields, 8).map(readFields).find((f) => (textField(f, 1) ?? '') === '');
  return {
    irVersion: intField(fields, 1),
    opset: defaultOpset ? intField(defaultOpset, 2) : undefined,
    producer: textField(fields, 2),
    metadata,
  };
}
