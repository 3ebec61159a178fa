import { readModelInfo } from '../src/model/model-folder';
import { runMeasured } from './child-run';
import { LABELLED_DATA } from './fixture';
import { WBC } from './memory';
import { figure, note } from './report';

const TARGET = 0.9;

/**
 * One default `wbc train` on the whole shared pool with an empty pixel cache, as a first run would be:
 * the wall time until an epoch first scores 90% on the validation split, the final test scores, and the
 * run's peak memory. Epoch ends are timed as their lines appear on stderr; model.json confirms them.
 */
export async function timeToAccuracy(out: string, cacheDir: string): Promise<void> {
  note('time to accuracy: one default `wbc train` on the full shared pool (several minutes)');
  let decodedAt = NaN;
  const epochEnds = new Map<number, number>();
  const run = await runMeasured(process.execPath, [WBC, 'train', LABELLED_DATA, '--out', out, '--cache-dir', cacheDir], (line, seconds) => {
    if (/^read \d+ images/.test(line)) decodedAt = seconds;
    // An epoch's summary line ("epoch  3/40  loss …"), not the progress bar of the epoch under way.
    const epoch = /^epoch\s+(\d+)\/\d+\s+loss\s/.exec(line);
    if (epoch) {
      epochEnds.set(Number(epoch[1]), seconds);
      note(`${line.trim()}  (${seconds.toFixed(0)} s)`);
    }
  });
  if (run.code !== 0) throw new Error(`wbc train failed with code ${run.code}`);

  const { training, testMetrics } = readModelInfo(out);
  if (!training || !testMetrics) throw new Error(`${out}/model.json lacks its training record`);
  const first = training.history.find((record) => record.validationAccuracy >= TARGET);
  figure('tta_target_validation_accuracy', TARGET);
  figure('tta_decode_wall_s', decodedAt);
  if (first) {
    figure('tta_first_epoch_at_target', first.epoch);
    figure('tta_wall_s_to_target', epochEnds.get(first.epoch) ?? NaN);
    const epochSeconds = training.history.filter((record) => record.epoch <= first.epoch).reduce((sum, record) => sum + record.seconds, 0);
    figure('tta_epoch_seconds_to_target', epochSeconds);
  } else {
    figure('tta_first_epoch_at_target', 'never');
  }
  figure('tta_best_validation_accuracy', Math.max(...training.history.map((record) => record.validationAccuracy)));
  figure('train_full_epochs_run', training.history.length);
  figure('train_full_kept_epoch', training.keptEpoch);
  figure('train_full_wall_s', run.seconds);
  figure('train_full_mean_epoch_s', training.history.reduce((sum, record) => sum + record.seconds, 0) / training.history.length);
  figure('train_full_peak_rss_mb', run.peakRssMb);
  figure('test_accuracy', testMetrics.accuracy);
  figure('test_balanced_accuracy', testMetrics.balancedAccuracy);
  figure('test_macro_f1', testMetrics.macroF1);
}
