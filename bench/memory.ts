import * as path from 'node:path';
import { runMeasured } from './child-run';
import { LABELLED_DATA } from './fixture';
import { figure, note } from './report';

/** The CLI exactly as a user runs it: each figure is a whole `wbc` process. */
export const WBC = path.join(__dirname, '..', '..', 'bin', 'wbc.js');

/**
 * A quick model for the classify measurement: memory while classifying depends on the network's
 * shape and the image count, not on how well it was trained.
 */
export async function trainQuickModel(out: string, cacheDir: string): Promise<void> {
  note('training a quick model (default network, 60 images per class, 2 epochs) for the classify measurement');
  const run = await runMeasured(process.execPath, [WBC, 'train', LABELLED_DATA, '--out', out, '--force', '--max-per-class', '60', '--epochs', '2', '--cache-dir', cacheDir]);
  if (run.code !== 0) throw new Error(`wbc train (quick model) failed with code ${run.code}`);
  figure('train_quick_model_peak_rss_mb', run.peakRssMb);
}

/** Peak memory and speed of `wbc classify` on a folder, decoding and the model's test-time views included. */
export async function measureClassify(modelDir: string, imageDir: string, count: number, csv: string): Promise<void> {
  note(`wbc classify on ${count} images (symbolic links to the shared JPEGs)`);
  const run = await runMeasured(process.execPath, [WBC, 'classify', modelDir, imageDir, '--out', csv]);
  if (run.code !== 0) throw new Error(`wbc classify failed with code ${run.code}`);
  const classified = Number(/Classified (\d+) images/.exec(run.stdout)?.[1] ?? NaN);
  figure(`classify_${count}_images_classified`, classified);
  figure(`classify_${count}_peak_rss_mb`, run.peakRssMb);
  figure(`classify_${count}_wall_s`, run.seconds);
  figure(`classify_${count}_img_per_s`, count / run.seconds);
}

/**
 * Peak memory and speed of `wbc evaluate` on the whole labelled folder (about 10,000 images): it decodes
 * and scores in chunks, so its memory should not grow with the folder (issue 21: under 1 GB).
 */
export async function measureEvaluate(modelDir: string, cacheDir: string): Promise<void> {
  note('wbc evaluate on the whole labelled folder');
  const run = await runMeasured(process.execPath, [WBC, 'evaluate', modelDir, LABELLED_DATA, '--cache-dir', cacheDir]);
  if (run.code !== 0) throw new Error(`wbc evaluate failed with code ${run.code}`);
  figure('evaluate_images_scored', Number(/Scored (\d+) images/.exec(run.stdout)?.[1] ?? NaN));
  figure('evaluate_peak_rss_mb', run.peakRssMb);
  figure('evaluate_wall_s', run.seconds);
}
