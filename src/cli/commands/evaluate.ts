import { CONFUSION_EXTENSIONS, writeConfusionMatrixImage } from '../../evaluate/confusion-image';
import { evaluate } from '../../classifier/evaluate';
import { evaluatedImagesCsv } from '../../evaluate/evaluated-csv';
import { formatNonWhiteCrossings } from '../../evaluate/non-white-crossings';
import { formatMetrics } from '../../evaluate/report';
import type { ReviewOutcome } from '../../trust/assess';
import { writeReliabilityImage } from '../../trust/reliability-image';
import { writeFileAtomic } from '../../util/atomic-write';
import { checkOutputPaths, type OutputPath } from '../../util/output-paths';
import { CACHE_OPTIONS, RUNTIME_OPTIONS, RUNTIME_USAGE, SCORING_USAGE, cacheChoice, decimal, parse, positionals, runtimeChoice, schemeUsage, viewChoice, type Command } from '../args';
import { printOut, printWarnings } from '../output';
import { ProgressLine, bar } from '../progress';

const usage = `Usage: wbc evaluate <model-dir> <labelled-dir> [--json FILE] [options]

Scores a model on a folder with one sub-folder of images per class: accuracy, balanced accuracy,
macro-F1, per-class precision, recall, F1 and support, the confusion matrix, the expected calibration
error (15 bins, top label) and how the review flag did (share flagged, accuracy of the accepted).

  --json FILE.json     also write the scores as JSON
  --confusion FILE     write the confusion matrix as a picture (.svg or .png)
  --reliability FILE   write the reliability diagram (accuracy per confidence bin) as .svg or .png
  --predictions FILE   write one row per image: file, true_class, prediction, confidence, correct (.csv)
  --split all|test     all images in the folder (default), or only the model's held-out test images
${schemeUsage(23, '(scored beside the classes: accuracy, macro-F1, per category, confusion, review)')}
${SCORING_USAGE}
${RUNTIME_USAGE}`;

function describeReview(review: ReviewOutcome): string {
  return `review: threshold ${review.threshold}; ${(review.flagged * 100).toFixed(1)}% flagged (${(review.outOfScope * 100).toFixed(1)}% out of scope); ` +
    `accepted ${(review.acceptedAccuracy * 100).toFixed(1)}% right (95% upper bound of their error ${(review.acceptedErrorUpperBound * 100).toFixed(2)}%)`;
}

function reviewJson(review: ReviewOutcome) {
  const { threshold, flagged, acceptedAccuracy, acceptedErrorUpperBound, outOfScope } = review;
  return { threshold, flagged, acceptedAccuracy, acceptedErrorUpperBound, outOfScope };
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score a model on a labelled image folder',
  usage,
  async run(argv) {
    const args = parse(argv, {
      json: { type: 'string' }, confusion: { type: 'string' }, reliability: { type: 'string' }, predictions: { type: 'string' },
      split: { type: 'string' }, tta: { type: 'string' }, scheme: { type: 'string' }, 'max-accepted-error': { type: 'string' },
      ...CACHE_OPTIONS, ...RUNTIME_OPTIONS,
    }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir, dataDir] = positionals(args.positionals, ['model-dir', 'labelled-dir'], usage);
    const json = args.text('json');
    const confusion = args.text('confusion');
    const reliability = args.text('reliability');
    const outputs: OutputPath[] = [];
    if (json) outputs.push({ path: json, option: '--json', kind: 'file', extensions: ['.json'] });
    if (confusion) outputs.push({ path: confusion, option: '--confusion', kind: 'file', extensions: CONFUSION_EXTENSIONS });
    if (reliability) outputs.push({ path: reliability, option: '--reliability', kind: 'file', extensions: CONFUSION_EXTENSIONS });
    const predictions = args.text('predictions');
    if (predictions) outputs.push({ path: predictions, option: '--predictions', kind: 'file', extensions: ['.csv'] });
    checkOutputPaths(outputs, [{ path: modelDir, what: 'the model folder' }, { path: dataDir, what: 'the image folder' }]);
    const progress = new ProgressLine();
    const result = await evaluate(modelDir, dataDir, {
      split: args.text('split') as 'all' | 'test' | undefined,
      testTimeViews: viewChoice(args.text('tta')),
      scheme: args.text('scheme'),
      maxAcceptedError: decimal(args.text('max-accepted-error'), 'max-accepted-error'),
      cacheDir: cacheChoice(args),
      ...runtimeChoice(args),
      onProgress: (done, total) => progress.update(`reading images ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    printWarnings(result.warnings);
    printWarnings(result.skipped.map((skipped) => skipped.reason), 'skipped: ');
    printOut(`Scored ${result.scored} images\n\n${formatMetrics(result.metrics)}`);
    const { ece, review } = result.trust;
    printOut(`calibration: ECE ${ece.toFixed(3)} (15 bins, top label; ${result.views})\n${describeReview(review)}\n`);
    const scheme = result.scheme;
    if (scheme) {
      printOut(`Scheme ${scheme.name} (a cell is right when its top category holds its true class)\n\n${formatMetrics(scheme.metrics)}`);
      printOut(`calibration: ECE ${scheme.trust.ece.toFixed(3)} of the category confidences\n${describeReview(scheme.trust.review)}\n`);
    }
    if (result.nonWhite) printOut(`${formatNonWhiteCrossings(result.nonWhite)}\n`);
    if (json) {
      const schemeJson = scheme && { name: scheme.name, ...scheme.metrics, ece: scheme.trust.ece, review: reviewJson(scheme.trust.review) };
      writeFileAtomic(json, `${JSON.stringify({
        ...result.metrics, images: result.scored, skipped: result.skipped,
        ece, review: reviewJson(review), views: result.views, ...(schemeJson && { scheme: schemeJson }),
        ...(result.nonWhite && { nonWhite: result.nonWhite }),
      }, null, 2)}\n`);
      printOut(`Scores written to ${json}`);
    }
    if (predictions) {
      writeFileAtomic(predictions, evaluatedImagesCsv(result.images));
      printOut(`Per-image rows written to ${predictions}`);
    }
    if (confusion) {
      await writeConfusionMatrixImage(result.metrics, confusion);
      printOut(`Confusion matrix picture: ${confusion}`);
    }
    if (reliability) {
      await writeReliabilityImage(result.trust.reliability, ece, reliability);
      process.stdout.write(`Reliability diagram: ${args.text('reliability')}\n`);
    }
  },
};
