import { writeModelReport } from '../../report/report';
import { checkOutputPaths } from '../../util/output-paths';
import { CACHE_OPTIONS, RUNTIME_OPTIONS, RUNTIME_USAGE, SCORING_USAGE, cacheChoice, parse, runtimeChoice, usageError, viewChoice, type Command } from '../args';
import { printOut, printWarnings } from '../output';
import { ProgressLine, bar } from '../progress';

const usage = `Usage: wbc report <model-dir> [<labelled-dir>] --out report.html [options]

Writes one self-contained HTML page about a model (no network requests; images inlined): its settings and
data, training curves, per-class scores and the confusion matrix as a heatmap. With a labelled folder the
scores come from it and each off-diagonal cell opens thumbnails of its misclassified images; without one
the model's own test scores are shown. Every warning printed is also at the top of the page; it prints on A4.

  --out FILE.html      where to write the report (required)
  --split all|test     with a labelled folder: all its images (default), or only the model's test images
  --scheme S           also score a reporting scheme: nine (default), grouped or a JSON file; its categories,
                       accuracy and review threshold on the labelled folder (needs one)
${SCORING_USAGE}
${RUNTIME_USAGE}`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report of a model',
  usage,
  async run(argv) {
    const args = parse(argv, { out: { type: 'string' }, split: { type: 'string' }, tta: { type: 'string' }, scheme: { type: 'string' }, ...CACHE_OPTIONS, ...RUNTIME_OPTIONS }, usage);
    if (args.flag('help')) return void printOut(usage);
    if (args.positionals.length < 1 || args.positionals.length > 2) {
      throw usageError(`expected <model-dir> [<labelled-dir>], got ${args.positionals.length} argument(s)`, usage);
    }
    const [modelDir, labelledDir] = args.positionals;
    const out = args.text('out');
    if (!out) throw usageError('--out FILE.html is required', usage);
    const inputs = [{ path: modelDir, what: 'the model folder' }];
    if (labelledDir) inputs.push({ path: labelledDir, what: 'the image folder' });
    checkOutputPaths([{ path: out, option: '--out', kind: 'file', extensions: ['.html', '.htm'] }], inputs);
    const progress = new ProgressLine();
    const result = await writeModelReport(modelDir, labelledDir, {
      out,
      split: args.text('split') as 'all' | 'test' | undefined,
      testTimeViews: viewChoice(args.text('tta')),
      scheme: args.text('scheme'),
      cacheDir: cacheChoice(args),
      ...runtimeChoice(args),
      onProgress: (done, total) => progress.update(`reading images ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    printWarnings(result.warnings);
    printOut(`Report written to ${result.out}`);
  },
};
