import { exportOnnx } from '../../export/onnx-export';
import { DEFAULT_PAGE_PORT, servePage } from '../../export/serve-page';
import { exportWeb } from '../../export/web-export';
import { describeReviewChoice } from '../../trust/review-threshold';
import { checkInteger } from '../../util/check';
import { checkOutputPaths, type OutputPath } from '../../util/output-paths';
import { parse, positionals, usageError, wholeNumber, type Command } from '../args';
import { printOut } from '../output';

const usage = `Usage: wbc export <model-dir> [--onnx FILE.onnx] [--web FOLDER [--scheme S] [--serve] [--port N]]

Writes the model for ONNX Runtime (Python, C#, C++, JavaScript) and, with --web, a page that classifies
images in the browser with nothing installed.

  --onnx FILE.onnx   one ONNX graph that takes RGB uint8 images [batch, stored_size, stored_size, 3] (the
                     centre square of each photo, resized) and gives logits and probabilities; batch norm
                     is folded into the convolutions; metadata_props hold the classes, sizes,
                     normalisation, test-time views, review threshold and calibration temperature as JSON
  --web FOLDER       a static page (index.html, the model, ONNX Runtime Web, scripts): serve the folder
                     from any static file server and open it; images never leave the browser
  --scheme S         the page's reporting scheme: nine (default), grouped or a scheme file
                     (docs/schemes.md); its categories, review threshold and differential are
                     those of \`wbc classify --scheme S\` (docs/export.md)
  --serve            then serve the page from 127.0.0.1 (this machine only) until Ctrl-C
  --port N           port for --serve (default ${DEFAULT_PAGE_PORT}; 0 picks a free one)`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model as ONNX, or as a page that classifies in the browser',
  usage,
  async run(argv) {
    const args = parse(argv, { onnx: { type: 'string' }, web: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' }, scheme: { type: 'string' } }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir] = positionals(args.positionals, ['model-dir'], usage);
    const onnx = args.text('onnx');
    const web = args.text('web');
    if (onnx === undefined && web === undefined) throw usageError('name --onnx FILE.onnx, --web FOLDER or both', usage);
    const serve = args.flag('serve');
    if (serve && web === undefined) throw usageError('--serve serves the page: name --web FOLDER too', usage);
    const scheme = args.text('scheme');
    if (scheme !== undefined && web === undefined) throw usageError('--scheme is for the page: name --web FOLDER too', usage);
    if (!serve && args.text('port') !== undefined) throw usageError('--port is for --serve', usage);
    const port = wholeNumber(args.text('port'), 'port');
    if (port !== undefined) checkInteger('--port', port, 0, 65535); // before the export, not after it
    const outputs: OutputPath[] = [];
    if (onnx !== undefined) outputs.push({ path: onnx, option: '--onnx', kind: 'file', extensions: ['.onnx'] });
    if (web !== undefined) outputs.push({ path: web, option: '--web', kind: 'folder' });
    checkOutputPaths(outputs, [{ path: modelDir, what: 'the model folder' }]);
    // The page first: it is the one that can refuse its input (a scheme the model cannot serve) before anything is written.
    const page = web === undefined ? undefined : exportWeb(modelDir, web, { scheme });
    if (onnx !== undefined) {
      const result = exportOnnx(modelDir, onnx);
      const f = result.facts;
      printOut(`Wrote ${onnx} (${(result.bytes / 1024).toFixed(0)} KiB): input uint8 [batch, ${f.storedSize}, ${f.storedSize}, 3], ${f.classes.length} classes, ${f.testTimeViews} test-time view(s), temperature ${f.temperature}${f.calibrated ? '' : ' (uncalibrated)'}`);
    }
    if (web !== undefined && page !== undefined) {
      const { scheme: reported, schemeReviewThreshold } = page.facts;
      printOut(`The page reports in scheme ${reported.name} (${reported.categories.length} categories), review threshold ${schemeReviewThreshold}${page.schemeReview ? `, fitted on its categories' confidences: ${describeReviewChoice(page.schemeReview)}` : ''}`);
      if (!serve) {
        printOut(`Wrote the page to ${web} (${page.files} files). Serve the folder with any static file server, e.g. \`npx http-server ${web}\` or \`python3 -m http.server -d ${web}\`, or add --serve, and open it; images never leave the browser.`);
        return;
      }
      const server = await servePage(web, { port });
      printOut(`Wrote the page to ${web} (${page.files} files); serving it until Ctrl-C, open:`);
      printOut(server.url);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    }
  },
};
