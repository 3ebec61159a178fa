import { classify } from '../../classifier/classify';
import { GROUP_USAGE, groupFromConventions } from '../../distributed/options';
import { predictionsCsv } from '../../classify/csv';
import { formatDifferential } from '../../classify/differential';
import { differentialCsvFor } from '../../classify/differential-csv';
import { perFolderCsv } from '../../classify/per-folder';
import { formatSchemeDifferential } from '../../classify/scheme-differential';
import { describeReviewChoice } from '../../trust/review-threshold';
import type { EngineChoice } from '../../runtime/predictor';
import { writeFileAtomic } from '../../util/atomic-write';
import { WbcError } from '../../util/errors';
import { checkOutputPaths } from '../../util/output-paths';
import { GROUP_OPTIONS, RUNTIME_OPTIONS, RUNTIME_USAGE, decimal, groupChoice, parse, positionals, runtimeChoice, schemeUsage, viewChoice, type Command } from '../args';
import { printOut, printWarnings } from '../output';
import { ProgressLine, bar } from '../progress';

const usage = `Usage: wbc classify <model-dir> <image-dir> [--out FILE.csv] [options]

Classifies every image in a folder and its sub-folders into a CSV: file (relative to <image-dir>),
prediction, confidence, second, second_confidence, needs_review, out_of_scope_score, out_of_scope, one
probability column per class, then group and group_confidence (the scheme's category and its probability);
prints the differential count and saves it beside the CSV as <name>-differential.csv. Confidences are
calibrated probabilities; needs_review is true below the scheme's review threshold, for out-of-scope cells
and for --always-review classes.

  --out FILE.csv          where to write the predictions (default: predictions.csv)
  --review-threshold F    mark predictions less confident than F for review (default: the model's)
  --tta auto|N            flips/turns averaged per image: 1, 2, 4 or 8, or auto (default where the model
                          has it): one view, all eight only where that view is not sure
  --engine onnx|libtorch  the runtime that runs the same weights (default: onnx, ONNX Runtime, on a CPU
                          without bf16, where it is faster; libtorch on CUDA or a bf16 CPU)
  --per-folder            add one differential per sub-folder (per slide) to the differential CSV, in a
                          last column \`folder\`: \`(all)\` for the whole folder, then e.g. \`slide-1/\`
                          (in the --scheme's categories)
  --always-review CLASS   mark every cell predicted as CLASS for review (repeat, or separate with commas)
${schemeUsage(26)}
${RUNTIME_USAGE}

Sharded over several processes or machines (each classifies a share; rank 0 writes the CSV):
${GROUP_USAGE}`;

function differentialPathFor(csvPath: string): string {
  return csvPath.replace(/(\.csv)?$/i, '-differential.csv');
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify a folder of unlabelled images into a CSV with a differential count',
  usage,
  async run(argv) {
    const args = parse(argv, {
      out: { type: 'string' }, 'review-threshold': { type: 'string' }, tta: { type: 'string' }, engine: { type: 'string' }, 'per-folder': { type: 'boolean' },
      'always-review': { type: 'string', multiple: true }, scheme: { type: 'string' }, 'max-accepted-error': { type: 'string' }, ...RUNTIME_OPTIONS, ...GROUP_OPTIONS,
    }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir, imageDir] = positionals(args.positionals, ['model-dir', 'image-dir'], usage);
    const out = (args.text('out')) ?? 'predictions.csv';
    const differentialFile = differentialPathFor(out);
    checkOutputPaths(
      [
        { path: out, option: '--out', kind: 'file', extensions: ['.csv'] },
        { path: differentialFile, option: 'the differential count (beside --out)', kind: 'file' },
      ],
      [{ path: modelDir, what: 'the model folder' }, { path: imageDir, what: 'the image folder' }],
    );
    const scheme = args.text('scheme');
    const progress = new ProgressLine();
    const result = await classify(modelDir, imageDir, {
      scheme,
      maxAcceptedError: decimal(args.text('max-accepted-error'), 'max-accepted-error'),
      reviewThreshold: decimal(args.text('review-threshold'), 'review-threshold'),
      testTimeViews: viewChoice(args.text('tta')),
      engine: args.text('engine') as EngineChoice | undefined,
      alwaysReview: args.list('always-review').flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean),
      ...runtimeChoice(args),
      distributed: groupFromConventions(groupChoice(args)),
      onProgress: (done, total) => progress.update(`classifying ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    if (result.group && result.group.rank !== 0) {
      printOut(`Rank ${result.group.rank} of ${result.group.worldSize} done; rank 0 writes the ${result.predictions.length} predictions to its --out`);
      return;
    }
    printWarnings(result.warnings);
    if (result.calibrationNote) printWarnings([result.calibrationNote], 'note: ');
    printWarnings(result.skipped.map((skipped) => skipped.reason), 'skipped: ');
    if (result.predictions.length === 0) throw new WbcError(`no readable images in ${imageDir}`);
    writeFileAtomic(out, predictionsCsv(result.predictions, result.classes));
    const classByClass = result.scheme.identity;
    const perFolder = args.flag('per-folder') ? perFolderCsv(result.predictions, result.classes, result.scheme, result.nonWhite) : undefined;
    const differentialText = perFolder ? perFolder.csv : differentialCsvFor(result.predictions, result.classes, result.scheme, result.nonWhite);
    writeFileAtomic(differentialFile, differentialText);
    printOut(`Classified ${result.predictions.length} images (${result.views}; review threshold ${result.reviewThreshold})\n`);
    if (result.schemeReview) printOut(`review threshold fitted for scheme ${result.scheme.name} (on its categories' confidences): ${describeReviewChoice(result.schemeReview)}\n`);
    printOut(`${classByClass ? formatDifferential(result.differential) : formatSchemeDifferential(result.schemeDifferential)}\n\nPredictions: ${out}\nDifferential count: ${differentialFile}${perFolder ? ` (and one per folder, for ${perFolder.folders} folders)` : ''}`);
  },
};
