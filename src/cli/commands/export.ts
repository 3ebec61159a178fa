import { exportOnnx } from '../../export/onnx-export';
import { checkOutputPaths } from '../../util/output-paths';
import { parse, positionals, usageError, type Command } from '../args';
import { printOut } from '../output';

const usage = `Usage: wbc export <model-dir> --onnx FILE.onnx

Writes the model for ONNX Runtime (Python, C#, C++, JavaScript): one graph that takes RGB uint8 images
[batch, stored_size, stored_size, 3] (the centre square of each photo, resized) and gives logits and
probabilities, with batch norm folded into the convolutions. Its metadata_props hold the classes, sizes,
normalisation, test-time views, review threshold and calibration temperature, each as JSON.

  --onnx FILE.onnx     where to write the ONNX model`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model as ONNX, for ONNX Runtime in other languages',
  usage,
  async run(argv) {
    const args = parse(argv, { onnx: { type: 'string' } }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir] = positionals(args.positionals, ['model-dir'], usage);
    const onnx = args.text('onnx');
    if (onnx === undefined) throw usageError('--onnx is required', usage);
    checkOutputPaths([{ path: onnx, option: '--onnx', kind: 'file', extensions: ['.onnx'] }], [{ path: modelDir, what: 'the model folder' }]);
    const result = exportOnnx(modelDir, onnx);
    const f = result.facts;
    printOut(`Wrote ${onnx} (${(result.bytes / 1024).toFixed(0)} KiB): input uint8 [batch, ${f.storedSize}, ${f.storedSize}, 3], ${f.classes.length} classes, ${f.testTimeViews} test-time view(s), temperature ${f.temperature}${f.calibrated ? '' : ' (uncalibrated)'}`);
  },
};
