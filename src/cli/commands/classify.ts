import { classify } from '../../classify/classify';
import { predictionsCsv } from '../../classify/csv';
import { differentialCsv, formatDifferential } from '../../classify/differential';
import { writeFileAtomic } from '../../util/atomic-write';
import { WbcError } from '../../util/errors';
import { RUNTIME_OPTIONS, RUNTIME_USAGE, fraction, parse, positionals, runtimeChoice, views, type Command } from '../args';
import { ProgressLine, bar } from '../progress';

const usage = `Usage: wbc classify <model-dir> <image-dir> [--out FILE.csv] [options]

Classifies every image in a folder into a CSV: file, prediction, confidence, second, second_confidence,
needs_review, out_of_scope_score, out_of_scope and one probability column per class; prints the
differential count and saves it beside the CSV as <name>-differential.csv. Confidences are calibrated
probabilities; needs_review is true below the review threshold, for out-of-scope cells and for
--always-review classes.

  --out FILE.csv          where to write the predictions (default: predictions.csv)
  --review-threshold F    mark predictions less confident than F for review (default: the model's)
  --tta N                 flips/turns averaged per image: 1, 2, 4 or 8 (default: the model's)
  --always-review CLASS   mark every cell predicted as CLASS for review (repeat, or separate with commas)
${RUNTIME_USAGE}`;

function differentialPathFor(csvPath: string): string {
  return csvPath.replace(/(\.csv)?$/i, '-differential.csv');
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify a folder of unlabelled images into a CSV with a differential count',
  usage,
  async run(argv) {
    const args = parse(argv, {
      out: { type: 'string' }, 'review-threshold': { type: 'string' }, tta: { type: 'string' },
      'always-review': { type: 'string', multiple: true }, ...RUNTIME_OPTIONS,
    }, usage);
    if (args.flag('help')) return void process.stdout.write(`${usage}\n`);
    const [modelDir, imageDir] = positionals(args.positionals, ['model-dir', 'image-dir'], usage);
    const out = (args.text('out')) ?? 'predictions.csv';
    if (!out.toLowerCase().endsWith('.csv')) throw new WbcError(`--out must name a .csv file, got '${out}'`);
    const progress = new ProgressLine();
    const result = await classify(modelDir, imageDir, {
      reviewThreshold: fraction(args.text('review-threshold'), 'review-threshold'),
      testTimeViews: views(args.text('tta')),
      alwaysReview: args.list('always-review').flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean),
      ...runtimeChoice(args),
      onProgress: (done, total) => progress.update(`classifying ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    if (result.calibrationNote) process.stderr.write(`note: ${result.calibrationNote}\n`);
    for (const skipped of result.skipped) process.stderr.write(`skipped: ${skipped.reason}\n`);
    if (result.predictions.length === 0) throw new WbcError(`no readable images in ${imageDir}`);
    writeFileAtomic(out, predictionsCsv(result.predictions, result.classes));
    const differentialFile = differentialPathFor(out);
    writeFileAtomic(differentialFile, differentialCsv(result.differential));
    process.stdout.write(`Classified ${result.predictions.length} images (review threshold ${result.reviewThreshold}, temperature ${result.temperature.toFixed(3)})\n\n`);
    process.stdout.write(`${formatDifferential(result.differential)}\n\nPredictions: ${out}\nDifferential count: ${differentialFile}\n`);
  },
};
