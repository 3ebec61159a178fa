/**
 * `node dist/bench/adaptive-views.js <model-dir> <labelled-dir> [images]`: adaptive test-time views
 * (`--tta auto`) against eight views for every image, side by side in one run (issue 25).
 *   - speed end to end (decode included, the library's classify() as `wbc classify` runs it) and on cached
 *     pixels (scoring only), for each engine, the two modes interleaved (auto first on even repeats);
 *     each ratio is eight views' time ÷ auto's, wall and CPU time, taken pair by pair
 *   - accuracy, ECE and the review flag on the model's own test split for 1, 2, 8 views and auto, and the
 *     share of test images that took the extra views
 * The model must have adaptive calibration (trained, or recalibrated, by a version that fits it).
 */
import * as path from 'node:path';
import { evaluate } from '../src/classifier/evaluate';
import { openClassifier } from '../src/classifier/open-classifier';
import { loadImages } from '../src/data/load-images';
import { readModelInfo } from '../src/model/model-folder';
import type { EngineChoice } from '../src/runtime/predictor';
import type { ViewChoice } from '../src/trust/trust-model';
import { describeLoad, describeMachine } from './machine';
import { figure, note, spread } from './report';

const REPEATS = 3;

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** CPU seconds of this process, every thread (ONNX Runtime's and LibTorch's included), since `since`. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/**
 * `repeats` pairs of (auto, eight views) runs, the order alternating. Figures: wall seconds and CPU seconds
 * of each mode, and per pair eight's time ÷ auto's for both. On a machine that other work shares, the
 * CPU-time ratio is the steadier one: waiting for a core is not counted.
 */
async function pairs(name: string, run: (views: ViewChoice) => Promise<void>): Promise<void> {
  const wall = { auto: [] as number[], eight: [] as number[], ratio: [] as number[] };
  const cpu = { auto: [] as number[], eight: [] as number[], ratio: [] as number[] };
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    const order: ViewChoice[] = repeat % 2 === 0 ? ['auto', 8] : [8, 'auto'];
    const times = new Map<ViewChoice, { wall: number; cpu: number }>();
    for (const views of order) {
      const started = process.hrtime.bigint();
      const cpuStarted = process.cpuUsage();
      await run(views);
      times.set(views, { wall: seconds(started), cpu: cpuSeconds(cpuStarted) });
    }
    for (const [figures, key] of [[wall, 'wall'], [cpu, 'cpu']] as const) {
      figures.auto.push(times.get('auto')![key]);
      figures.eight.push(times.get(8)![key]);
      figures.ratio.push(times.get(8)![key] / times.get('auto')![key]);
    }
  }
  spread(`${name}_auto_s`, wall.auto);
  spread(`${name}_tta8_s`, wall.eight);
  spread(`${name}_speedup`, wall.ratio);
  spread(`${name}_auto_cpu_s`, cpu.auto);
  spread(`${name}_tta8_cpu_s`, cpu.eight);
  spread(`${name}_cpu_speedup`, cpu.ratio);
}

async function main(): Promise<void> {
  const [modelDir, labelledDir, count = '2400'] = process.argv.slice(2);
  if (!modelDir || !labelledDir) throw new Error('usage: node dist/bench/adaptive-views.js <model-dir> <labelled-dir> [images]');
  const info = readModelInfo(modelDir);
  const adaptive = info.calibration?.adaptive;
  if (!adaptive || !info.split) throw new Error(`${modelDir} has no adaptive calibration or no split record`);
  describeMachine();
  describeLoad('start');
  figure('adaptive_cut', adaptive.cut);
  figure('adaptive_validation_extra_share', adaptive.extraViewShare);
  figure('adaptive_validation_agreement', adaptive.agreement);

  // The model's test images first, then its validation images: none of them trained it.
  const files = [...info.split.test, ...info.split.validation].slice(0, Number(count)).map((file) => path.join(labelledDir, file));
  figure('images', files.length);
  const engines: EngineChoice[] = ['onnx', 'libtorch'];
  for (const engine of engines) {
    note(`end to end, ${engine}`);
    // classify() over a list is the CLI's path less the folder scan: decode, score, predictions.
    await pairs(`end_to_end_${engine}`, async (views) => {
      const classifier = await openClassifier(modelDir, { engine, views });
      try {
        await classifier.classify(files);
      } finally {
        await classifier.close();
      }
    });
    note(`cached pixels, ${engine}`);
    const loaded = await loadImages(files, info.input.storedSize);
    const indices = Int32Array.from(loaded.loaded.keys());
    const classifiers = new Map<ViewChoice, Awaited<ReturnType<typeof openClassifier>>>();
    for (const views of ['auto', 8] as const) classifiers.set(views, await openClassifier(modelDir, { engine, views }));
    try {
      await pairs(`cached_${engine}`, async (views) => {
        for (let start = 0; start < indices.length; start += 1024) await classifiers.get(views)!.score(loaded.pixels, indices.subarray(start, start + 1024));
      });
    } finally {
      for (const classifier of classifiers.values()) await classifier.close();
    }
  }

  note('accuracy on the test split');
  for (const views of [1, 2, 8, 'auto'] as const) {
    const result = await evaluate(modelDir, labelledDir, { split: 'test', testTimeViews: views });
    const { review } = result.trust;
    figure(`test_accuracy_tta${views}`, result.metrics.accuracy);
    figure(`test_ece_tta${views}`, result.trust.ece);
    figure(`test_flagged_tta${views}`, review.flagged);
    figure(`test_accepted_accuracy_tta${views}`, review.acceptedAccuracy);
    if (views === 1) {
      // The gate is the one-view calibrated confidence: the share below the cut is the share that took every view.
      const extra = result.images.filter((image) => image.confidence < adaptive.cut).length / result.images.length;
      figure('test_extra_view_share', extra);
    }
  }
  describeLoad('end');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
