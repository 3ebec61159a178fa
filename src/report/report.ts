import { evaluate, type EvaluateOptions } from '../classifier/evaluate';
import { readModelInfo } from '../model/model-folder';
import { chooseScheme } from '../scheme/choose-scheme';
import { WbcError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic-write';
import { checkString, optional } from '../util/check';
import { modelReportHtml } from './model-report';

export interface ReportOptions extends Pick<EvaluateOptions, 'split' | 'testTimeViews' | 'scheme' | 'device' | 'threads' | 'precision' | 'cacheDir' | 'onProgress'> {
  /** The HTML file to write. */
  out: string;
}

export interface ReportResult {
  out: string;
  warnings: string[];
}

/**
 * Writes one self-contained HTML report of a model; with a labelled folder, the scores and the
 * misclassified thumbnails come from scoring it, else the model's recorded test scores are shown.
 */
export async function writeModelReport(modelDir: string, labelledDir: string | undefined, options: ReportOptions): Promise<ReportResult> {
  checkString('--out', options.out);
  optional(labelledDir, (v) => checkString('labelled-dir', v));
  const info = readModelInfo(modelDir);
  // Checked before anything is scored: a malformed scheme file is one line, at once.
  const scheme = chooseScheme(options.scheme, info.classes, info.nonWhite);
  if (labelledDir === undefined) {
    if (!scheme.identity) throw new WbcError(`--scheme ${scheme.name} is scored on labelled images: give the labelled folder the model was trained on, with --split test`);
    const html = await modelReportHtml({ info, modelDir, metrics: info.testMetrics, scoredOn: 'the held-out test split', warnings: [] });
    writeFileAtomic(options.out, html);
    return { out: options.out, warnings: [] };
  }
  const { out, ...evaluateOptions } = options;
  const result = await evaluate(modelDir, labelledDir, evaluateOptions);
  const scoredOn = `${labelledDir}${options.split === 'test' ? ' (the model\'s test images)' : ''}, ${result.scored} images`;
  // The page is what people share, so it carries every warning the command prints.
  const warnings = [...result.warnings, ...result.skipped.map((s) => `skipped: ${s.reason}`)];
  const scoring = { views: result.views, reviewThreshold: result.trust.review.threshold };
  const html = await modelReportHtml({
    info, modelDir, metrics: result.metrics, scoredOn, images: result.images, warnings, scoring,
    ...(result.scheme && { scheme: { definition: scheme, scores: result.scheme } }), ...(result.nonWhite && { nonWhite: result.nonWhite }),
  });
  writeFileAtomic(out, html);
  return { out, warnings };
}
