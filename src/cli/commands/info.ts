import { readModelInfo, trainingPrecision, type ModelInfo } from '../../model/model-folder';
import { describeReviewChoice } from '../../trust/review-threshold';
import { defaultScoring, defaultViews } from '../../trust/trust-model';
import { parse, positionals, type Command } from '../args';
import { printOut } from '../output';
import { duration, percent } from '../progress';

const usage = `Usage: wbc info <model-dir> [--json]

Describes a model: its classes, input, network, the data and split it was trained on, and its test scores.

  --json    print model.json's description without the file lists`;

const NOT_RECORDED = 'not recorded in this model';

function describeData(data: ModelInfo['data']): string {
  if (!data) return NOT_RECORDED;
  const counts = Object.entries(data.imagesPerClass).map(([name, count]) => `${name} ${count}`).join(', ');
  return `${data.root ? `${data.root} ` : ''}(${counts}${data.skipped.length ? `; ${data.skipped.length} unreadable` : ''})`;
}

function describeTraining(t: ModelInfo['training']): string {
  if (!t) return NOT_RECORDED;
  return `${t.history.length}/${t.epochs} epochs, weights of epoch ${t.keptEpoch}, batch ${t.batchSize}, lr ${t.learningRate}, balance ${t.balance}, ${trainingPrecision(t)}, ${t.threads} threads, ${duration(t.seconds)}, LibTorch ${t.libtorch}`;
}

/** Temperatures, the review and out-of-scope thresholds, and how each was chosen. */
export function describeTrust(info: ModelInfo): string {
  const c = info.calibration;
  if (!c) {
    return `calibration:    none (a model from before calibration): uncalibrated confidences, review below ${info.reviewThreshold}, no out-of-scope check`;
  }
  const lines = [`calibration:    temperature scaling fitted on ${c.images} validation images (views' logits averaged, then softmax(logits / T))`];
  const defaults = defaultViews(info);
  for (const [views, fitted] of Object.entries(c.byViews)) {
    const current = Number(views) === defaults ? ' (default)' : '';
    lines.push(`  ${views} view(s)${current}: temperature ${fitted.temperature.toFixed(3)}, ECE ${fitted.eceBefore.toFixed(3)} -> ${fitted.eceAfter.toFixed(3)}; ${fitted.review.threshold >= 1 ? 'review every cell' : `review below ${fitted.review.threshold}`}`);
  }
  const a = c.adaptive;
  if (a) {
    lines.push(`  auto (default): 1 view, all ${a.views} below ${percent(a.cut, 1)} one-view confidence (${percent(a.extraViewShare, 1)} of validation images; answers as all views' on ${percent(a.agreement, 1)}); temperatures ${a.sureTemperature.toFixed(3)}/${a.unsureTemperature.toFixed(3)}, ECE ${a.eceBefore.toFixed(3)} -> ${a.eceAfter.toFixed(3)}; ${a.review.threshold >= 1 ? 'review every cell' : `review below ${a.review.threshold}`}`);
  }
  const review = a?.review ?? c.byViews[String(info.testTimeViews)]?.review;
  if (review) lines.push(`review:         ${describeReviewChoice(review)}`);
  const o = info.outOfScope;
  if (o) {
    const method = o.method === 'knn' ? `distance to the ${o.neighbours}th nearest training image (L2-normalised features)` : 'relative Mahalanobis distance of the features';
    lines.push(`out of scope:   ${method} above ${o.threshold.toPrecision(4)}, which flags ${(o.rate * 100).toFixed(1)}% of the ${o.calibrationImages} validation images`);
  }
  return lines.join('\n');
}

/** The default test-time views and review threshold. */
function describePrediction(info: ModelInfo): string {
  const { views, reviewThreshold } = defaultScoring(info);
  return `test-time views ${views}; review below ${percent(reviewThreshold, 0)} confidence`;
}

export function describeModel(info: ModelInfo): string {
  const { split, testMetrics: m } = info;
  return [
    `classes:        ${info.classes.join(', ')}`,
    ...(info.nonWhite ? [`non-white:      ${info.nonWhite.join(', ')} (not white cells: counted apart, never in the differential)`] : []),
    `input:          ${info.input.inputSize}x${info.input.inputSize} px, centre ${percent(info.input.inputSize / info.input.storedSize, 0)} of each image; mean ${info.input.mean.map((v) => v.toFixed(3)).join('/')}, std ${info.input.std.map((v) => v.toFixed(3)).join('/')}`,
    `network:        ${info.network.widths.length} stages x ${info.network.convsPerStage} convs, widths ${info.network.widths.join('-')}, dropout ${info.network.dropout}`,
    `prediction:     ${describePrediction(info)}`,
    `data:           ${describeData(info.data)}`,
    `split:          ${split ? `${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test (seed ${split.seed}${split.groupBy ? `, grouped by /${split.groupBy}/` : ''}${split.method ? `, ${split.method}` : ''})` : NOT_RECORDED}`,
    `training:       ${describeTraining(info.training)}`,
    `test scores:    ${m ? `accuracy ${percent(m.accuracy)}, balanced accuracy ${percent(m.balancedAccuracy)}, macro-F1 ${m.macroF1.toFixed(3)}` : NOT_RECORDED}`,
    describeTrust(info),
    `created:        ${info.createdAt ?? NOT_RECORDED}`,
  ].join('\n');
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'describe a model: classes, input, data it saw, its scores',
  usage,
  async run(argv) {
    const args = parse(argv, { json: { type: 'boolean' } }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir] = positionals(args.positionals, ['model-dir'], usage);
    const info = readModelInfo(modelDir);
    if (args.flag('json')) {
      const split = info.split && (({ train, validation, test, contentHashes: _, ...rest }) => ({ ...rest, train: train.length, validation: validation.length, test: test.length }))(info.split);
      process.stdout.write(`${JSON.stringify({ ...info, split }, null, 2)}\n`);
    } else {
      printOut(describeModel(info));
    }
  },
};
