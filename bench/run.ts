/**
 * `npm run bench [-- --full | -- time-to-accuracy]`: speed and memory of the project side by side with
 * PyTorch eager on this machine, printed as name=value lines (bench/RESULTS.md explains them).
 *   quick (default, a few minutes): training and inference throughput against PyTorch, decode speed
 *          against PIL (decode_ratio_vs_pil),
 *          peak memory of classifying 10,000 images with a quickly trained model, and of evaluating it on
 *          the whole labelled folder
 *   --full: quick, then one default `wbc train` on the full pool for time to 90% and its peak memory,
 *          and the classify and evaluate measurements with that model
 *   time-to-accuracy: only the full training run and the classify and evaluate measurements
 *   decode: only decoding against PIL, alone and followed by prediction (under a minute)
 *   --smoke: the quick sections with tiny repeats, to check that the bench runs (figures mean nothing)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_AUGMENT_POLICY } from '../src/augment/policy';
import { setUpRuntime, type Runtime } from '../src/native/runtime';
import { TRAIN_DEFAULTS } from '../src/train/train';
import { compareFileInference, compareCachedInference } from './compare-inference';
import { compareTraining } from './compare-training';
import { benchmarkDecoding } from './decode';
import { dispose, exportPool, linkedImageFolder, loadPool, type Pool } from './fixture';
import { describeLoad, describeMachine } from './machine';
import { measureClassify, measureEvaluate, trainQuickModel } from './memory';
import { OurInference } from './our-inference';
import { OurTraining } from './our-training';
import { PyTorchWorker, ensurePyTorch, pytorchMallocEnv } from './pytorch';
import { figure } from './report';
import { timeToAccuracy } from './time-to-accuracy';

type Mode = 'quick' | 'full' | 'time-to-accuracy' | 'decode' | 'smoke';

/** undefined when the arguments name no mode. */
function parseMode(argv: string[]): Mode | undefined {
  const known: Record<string, Mode> = { quick: 'quick', '--full': 'full', full: 'full', 'time-to-accuracy': 'time-to-accuracy', decode: 'decode', '--smoke': 'smoke' };
  if (argv.length === 0) return 'quick';
  return argv.length === 1 && Object.hasOwn(known, argv[0]) ? known[argv[0]] : undefined;
}

/** Repeats and sizes; --smoke shrinks them only to prove the wiring. */
function planFor(mode: Mode) {
  const smoke = mode === 'smoke';
  return {
    training: smoke ? { warmupSteps: 2, steps: 3, repeats: 2 } : { warmupSteps: 10, steps: 30, repeats: 7 },
    inferCount: smoke ? 256 : 2048,
    ttaCount: smoke ? 64 : 512,
    inferRepeats: smoke ? 2 : 5,
    ttaRepeats: smoke ? 2 : 3,
    decodeIncludedFiles: smoke ? 40 : 480,
    decodeFiles: smoke ? 30 : 300,
    decodeRepeats: smoke ? 1 : 5,
    classifyCount: smoke ? 300 : 10_000,
  };
}
type Plan = ReturnType<typeof planFor>;

/** PIL threads for the PyTorch side's decoding: as many as loadImages' default decoder threads. */
const DECODE_WORKERS = 4;

async function startPyTorch(pool: Pool, runtime: Runtime): Promise<PyTorchWorker | undefined> {
  if (!ensurePyTorch()) return undefined;
  const config = {
    ...exportPool(pool),
    storedSize: pool.input.storedSize,
    inputSize: pool.input.inputSize,
    mean: pool.input.mean,
    std: pool.input.std,
    widths: pool.network.widths,
    convsPerStage: pool.network.convsPerStage,
    classes: pool.network.classes,
    dropout: pool.network.dropout,
    classWeights: Array.from(pool.classWeights),
    batchSize: TRAIN_DEFAULTS.batchSize,
    learningRate: TRAIN_DEFAULTS.learningRate,
    weightDecay: TRAIN_DEFAULTS.weightDecay,
    labelSmoothing: TRAIN_DEFAULTS.labelSmoothing,
    augment: DEFAULT_AUGMENT_POLICY,
    threads: runtime.threads,
    // As the addon: bf16 autocast only where the CPU has bf16 instructions (emulated, it is many times slower).
    bfloat16: runtime.bfloat16,
    foreach: false, // foreach=True measured no faster here
    inferBatch: 256,
    decodeWorkers: DECODE_WORKERS,
    seed: TRAIN_DEFAULTS.seed,
  };
  const { worker, hello } = await PyTorchWorker.start(config, pool.scratch);
  figure('pytorch_version', hello.torch_version);
  figure('pytorch_settings', `python=/usr/bin/python3 threads=${hello.threads} bf16_autocast=${runtime.bfloat16} channels_last=true `
    + `batch=${config.batchSize} AdamW(foreach=${config.foreach}) zero_grad(set_to_none) inference_mode crop=slicing(infer_same_ops: affine_grid+grid_sample as the addon) decode=PIL(draft+Lanczos, ${DECODE_WORKERS} threads) `
    + `malloc=${pytorchMallocEnv().GLIBC_TUNABLES ? 'tuned as the addon' : 'glibc default'}`);
  return worker;
}

async function throughput(pool: Pool, runtime: Runtime, pytorch: PyTorchWorker | undefined, plan: Plan, decodeOnly: boolean): Promise<void> {
  figure('ours_settings', `libtorch=addon threads=${runtime.threads} bf16_autocast=${runtime.bfloat16} channels_last=true batch=${TRAIN_DEFAULTS.batchSize} `
    + `width=${TRAIN_DEFAULTS.width} input=${pool.input.inputSize} stored=${pool.input.storedSize} `
    + `decode=libjpeg-turbo in the addon(loadImages, ${DECODE_WORKERS} threads; sharp for anything else)`);
  const inference = new OurInference(pool, runtime);
  if (!decodeOnly) {
    await compareTraining(new OurTraining(pool, runtime), pytorch, plan.training);
    await compareCachedInference(inference, pytorch, { name: 'infer', count: plan.inferCount, views: 1, repeats: plan.inferRepeats });
    await compareCachedInference(inference, pytorch, { name: 'infer_tta8', count: plan.ttaCount, views: 8, repeats: plan.ttaRepeats });
    // Diagnosis: PyTorch cropping with the addon's affine_grid + grid_sample isolates the engine and bindings.
    await compareCachedInference(inference, pytorch, { name: 'infer_same_ops', count: plan.inferCount, views: 1, repeats: plan.inferRepeats, sameOps: true });
  }
  // Every 20th file: all classes, and no image repeated within a repeat.
  const paths = pool.files.filter((_, i) => i % 20 === 0).slice(0, plan.decodeIncludedFiles);
  const listFile = path.join(pool.scratch, 'files.txt');
  fs.writeFileSync(listFile, `${paths.join('\n')}\n`);
  await compareFileInference(inference, pytorch, { paths, listFile }, { name: 'infer_decode', views: 1, repeats: plan.inferRepeats });
  await benchmarkDecoding(pool.files.filter((_, i) => i % 20 === 10).slice(0, plan.decodeFiles), pool.input.storedSize, pytorch, pool.scratch, plan.decodeRepeats);
}

async function main(): Promise<void> {
  const mode = parseMode(process.argv.slice(2));
  if (!mode) {
    process.stderr.write(`usage: node dist/bench/run.js [--full | time-to-accuracy | decode | --smoke]  (got: ${process.argv.slice(2).join(' ')})\n`);
    process.exitCode = 2;
    return;
  }
  const plan = planFor(mode);
  const started = performance.now();
  figure('bench_mode', mode);
  describeMachine();
  describeLoad('start');
  sharp.cache(false); // as the CLI does: each image is decoded once
  const runtime = setUpRuntime();
  const pool = await loadPool();
  figure('pool_images', pool.labels.length);
  try {
    if (mode !== 'time-to-accuracy') {
      const pytorch = await startPyTorch(pool, runtime);
      if (!pytorch) figure('pytorch_settings', 'unavailable (python3-torch could not be installed)');
      try {
        await throughput(pool, runtime, pytorch, plan, mode === 'decode');
      } finally {
        await pytorch?.stop();
      }
    }
    if (mode !== 'decode') {
      const model = path.join(pool.scratch, 'model');
      const cacheDir = path.join(pool.scratch, 'pixel-cache');
      if (mode === 'quick' || mode === 'smoke') await trainQuickModel(model, cacheDir);
      else await timeToAccuracy(model, cacheDir);
      const images = linkedImageFolder(pool, plan.classifyCount, 'classify-images');
      await measureClassify(model, images, plan.classifyCount, path.join(pool.scratch, 'predictions.csv'));
      if (mode !== 'smoke') await measureEvaluate(model, cacheDir);
    }
  } finally {
    dispose(pool);
  }
  describeLoad('end');
  figure('bench_wall_s', (performance.now() - started) / 1000);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
