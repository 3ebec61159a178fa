/**
 * The classifier network (src/native/addon/network.cc) as an ONNX graph, with each batch norm folded
 * into the convolution before it and the preprocessing inside the graph, so that a consumer only has to
 * decode, take the centre square and resize it to the stored size.
 *
 *   image uint8 [batch, stored, stored, 3] (RGB)
 *     -> centre crop to input x input -> float -> (x / 255 - mean) / std -> NCHW
 *     -> stages of (conv 3x3 + ReLU) with max-pooling between stages -> global average pool -> linear
 *     -> logits [batch, classes];  probabilities = softmax(logits / temperature);  features (pooled)
 */
import type { InputSpec, NetworkSpec } from '../native/binding';
import { WbcError } from '../util/errors';
import { FLOAT, INT64, UINT8, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto';

/** A parameter or buffer as the engine reports it (engine.parameters()). */
export interface ParameterTensor {
  shape: number[];
  data: Float32Array;
}

/** LibTorch's BatchNorm2d default, which network.cc keeps. */
const BATCH_NORM_EPSILON = 1e-5;

export const INPUT_NAME = 'image';
export const LOGITS_NAME = 'logits';
export const PROBABILITIES_NAME = 'probabilities';
export const FEATURES_NAME = 'features';

export interface GraphSource {
  network: NetworkSpec;
  input: InputSpec;
  parameters: Record<string, ParameterTensor>;
  /** Logits are divided by this before the softmax (1 when the model has no calibration). */
  temperature: number;
}

function parameter(parameters: Record<string, ParameterTensor>, name: string, shape: number[]): Float32Array {
  const found = parameters[name];
  if (!found || found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
    throw new WbcError(`the weights do not match the network: ${name} should have shape [${shape}]${found ? `, has [${found.shape}]` : ', is missing'}`);
  }
  return found.data;
}

/**
 * Folds batch norm into the convolution before it: BN(conv(x, W)) = conv(x, W * s) + (beta - mean * s)
 * with s = gamma / sqrt(var + eps) per output channel. Sums in float64, stored as float32.
 */
export function foldBatchNorm(
  weight: Float32Array,
  outChannels: number,
  norm: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array },
): { weight: Float32Array; bias: Float32Array } {
  const perChannel = weight.length / outChannels;
  const folded = new Float32Array(weight.length);
  const bias = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c += 1) {
    const scale = norm.gamma[c] / Math.sqrt(norm.variance[c] + BATCH_NORM_EPSILON);
    for (let k = 0; k < perChannel; k += 1) folded[c * perChannel + k] = weight[c * perChannel + k] * scale;
    bias[c] = norm.beta[c] - norm.mean[c] * scale;
  }
  return { weight: folded, bias };
}

/** The nodes and weights of the network; `metadata` goes into the file as metadata_props. */
export function networkGraph(source: GraphSource, metadata: Record<string, string>, producerVersion: string): OnnxModel {
  const { network, input, parameters } = source;
  const margin = (input.storedSize - input.inputSize) / 2;
  if (!Number.isInteger(margin) || margin < 0) {
    throw new WbcError(`cannot export a model whose crop is not whole pixels (stored ${input.storedSize}, input ${input.inputSize})`);
  }
  if (!(source.temperature > 0) || !Number.isFinite(source.temperature)) throw new WbcError(`calibration temperature must be a positive number, got ${source.temperature}`);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const constant = (name: string, dims: number[], values: Float32Array | number[], type: typeof FLOAT | typeof INT64 = FLOAT): string => {
    initializers.push({ name, dims, type, values });
    return name;
  };

  let x = INPUT_NAME;
  if (margin > 0) {
    const end = margin + input.inputSize;
    nodes.push({ op: 'Slice', inputs: [x, constant('crop_starts', [2], [margin, margin], INT64), constant('crop_ends', [2], [end, end], INT64), constant('crop_axes', [2], [1, 2], INT64)], outputs: ['crop'] });
    x = 'crop';
  }
  nodes.push({ op: 'Cast', inputs: [x], outputs: ['pixels'], attributes: { to: FLOAT } });
  // (x / 255 - mean) / std as one multiply and one add per channel, along the last (channel) axis.
  const scale = Float32Array.from(input.std, (s) => 1 / (255 * s));
  const shift = Float32Array.from(input.mean, (m, c) => -m / input.std[c]);
  nodes.push({ op: 'Mul', inputs: ['pixels', constant('normalise_scale', [3], scale)], outputs: ['scaled'] });
  nodes.push({ op: 'Add', inputs: ['scaled', constant('normalise_shift', [3], shift)], outputs: ['normalised'] });
  nodes.push({ op: 'Transpose', inputs: ['normalised'], outputs: ['nchw'], attributes: { perm: [0, 3, 1, 2] } });
  x = 'nchw';

  // Module indices in network.cc's Sequential: [pool,] then (conv, norm, relu) per convolution.
  let module = 0;
  let channels = 3;
  network.widths.forEach((width, stage) => {
    if (stage > 0) {
      nodes.push({ op: 'MaxPool', inputs: [x], outputs: [`pool${stage}`], attributes: { kernel_shape: [2, 2], strides: [2, 2] } });
      x = `pool${stage}`;
      module += 1;
    }
    for (let i = 0; i < network.convsPerStage; i += 1) {
      const conv = `body.${module}`;
      const norm = `body.${module + 1}`;
      const folded = foldBatchNorm(parameter(parameters, `${conv}.weight`, [width, channels, 3, 3]), width, {
        gamma: parameter(parameters, `${norm}.weight`, [width]),
        beta: parameter(parameters, `${norm}.bias`, [width]),
        mean: parameter(parameters, `${norm}.running_mean`, [width]),
        variance: parameter(parameters, `${norm}.running_var`, [width]),
      });
      const name = `conv${stage}_${i}`;
      nodes.push({
        op: 'Conv',
        inputs: [x, constant(`${name}.weight`, [width, channels, 3, 3], folded.weight), constant(`${name}.bias`, [width], folded.bias)],
        outputs: [name],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      });
      nodes.push({ op: 'Relu', inputs: [name], outputs: [`${name}.relu`] });
      x = `${name}.relu`;
      channels = width;
      module += 3;
    }
  });
  nodes.push({ op: 'GlobalAveragePool', inputs: [x], outputs: ['pooled'] });
  nodes.push({ op: 'Flatten', inputs: ['pooled'], outputs: [FEATURES_NAME], attributes: { axis: 1 } });
  // Dropout is the identity at inference.
  nodes.push({
    op: 'Gemm',
    inputs: [FEATURES_NAME, constant('head.weight', [network.classes, channels], parameter(parameters, 'head.weight', [network.classes, channels])), constant('head.bias', [network.classes], parameter(parameters, 'head.bias', [network.classes]))],
    outputs: [LOGITS_NAME],
    attributes: { transB: 1 },
  });
  nodes.push({ op: 'Div', inputs: [LOGITS_NAME, constant('temperature', [], [source.temperature])], outputs: ['calibrated'] });
  nodes.push({ op: 'Softmax', inputs: ['calibrated'], outputs: [PROBABILITIES_NAME], attributes: { axis: 1 } });

  return {
    graphName: 'wbc-classifier',
    nodes,
    initializers,
    inputs: [{ name: INPUT_NAME, type: UINT8, shape: ['batch', input.storedSize, input.storedSize, 3] }],
    outputs: [
      { name: LOGITS_NAME, type: FLOAT, shape: ['batch', network.classes] },
      { name: PROBABILITIES_NAME, type: FLOAT, shape: ['batch', network.classes] },
      // The pooled features the head reads: what an out-of-scope score is computed from.
      { name: FEATURES_NAME, type: FLOAT, shape: ['batch', channels] },
    ],
    metadata,
    producer: { name: 'wbc-classifier', version: producerVersion },
    docString: 'White-blood-cell classifier. Input: RGB uint8 images, batch x stored_size x stored_size x 3, each the centre square of a photo resized to stored_size; see metadata_props.',
  };
}
