import { recordCalibrationScores } from '../../classifier/record-calibration-scores';
import { describeReviewChoice } from '../../trust/review-threshold';
import { CACHE_OPTIONS, RUNTIME_OPTIONS, RUNTIME_USAGE, cacheChoice, parse, positionals, runtimeChoice, type Command } from '../args';
import { printOut } from '../output';
import { ProgressLine, bar } from '../progress';

const usage = `Usage: wbc calibrate <model-dir> <labelled-dir> [--non-white DIR] [--force] [options]

Adds calibration scores to a model trained before they were kept (training keeps them now): scores the
model's own validation images (listed in model.json, checked by content) in <labelled-dir>, the folder it
was trained on, under all eight test-time views, and writes calibration-scores.bin and model.json. Any
reporting scheme (--scheme) then gets its own review threshold without retraining, and a model from
before adaptive test-time views gets them (--tta auto, fitted as training fits them).

  --non-white DIR      the folder of non-white kinds the model was trained with (wbc train --non-white)
  --force              make them again where the model already has them
  --cache-dir DIR      reuse and keep decoded images here (default ~/.cache/wbc-classifier)
  --no-cache           decode every image afresh
${RUNTIME_USAGE}`;

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'keep the validation scores an older model needs for --scheme',
  usage,
  async run(argv) {
    const args = parse(argv, { force: { type: 'boolean' }, 'non-white': { type: 'string' }, ...CACHE_OPTIONS, ...RUNTIME_OPTIONS }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir, labelledDir] = positionals(args.positionals, ['model-dir', 'labelled-dir'], usage);
    const progress = new ProgressLine();
    const result = await recordCalibrationScores(modelDir, labelledDir, {
      force: args.flag('force'),
      nonWhiteDir: args.text('non-white'),
      cacheDir: cacheChoice(args),
      ...runtimeChoice(args),
      onProgress: (done, total) => progress.update(`scoring validation images ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    const same = result.refitted.threshold === result.recorded;
    printOut(`Scored the model's ${result.images} validation images under 8 views: ${result.file}\n` +
      `class-level review threshold refitted from them: ${result.refitted.threshold} (model.json: ${result.recorded}${same ? ', the same' : '; the scores differ a little from training\'s, e.g. another precision'}); ${describeReviewChoice(result.refitted)}` +
      (result.adaptiveAdded ? `\nadaptive test-time views (--tta auto, now the default): all 8 views below ${result.adaptiveAdded.cut.toFixed(4)} one-view confidence (${(result.adaptiveAdded.extraViewShare * 100).toFixed(1)}% of validation images), review below ${result.adaptiveAdded.review.threshold}` : ''));
  },
};
