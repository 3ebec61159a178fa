/**
 * `node dist/bench/onnx-inference.js [--threads N] [--smoke]`: ONNX Runtime (onnxruntime-node, CPU) against LibTorch
 * for prediction on cached pixels, 1 and 8 test-time views, with the same threads, side by side in one
 * run: each repeat times both engines back to back (alternating which goes first), on the default
 * network shape with fresh weights (their values do not change the work) and real images.
 */
import * as os from 'node:os';
import { scanImageFolder } from '../src/data/image-folder';
import { loadImages } from '../src/data/load-images';
import { channelStatistics } from '../src/data/statistics';
import { onnxPredictor } from '../src/runtime/onnx-predictor';
import { networkSpec, storedSizeFor } from '../src/model/architecture';
import { newEngine, type ModelInfo } from '../src/model/model-folder';
import { libtorchPredictor, type Predictor } from '../src/runtime/predictor';
import { setUpRuntime } from '../src/native/runtime';
import { TRAIN_DEFAULTS } from '../src/train/train';
import { averageLogits } from '../src/model/scores';
import { softmaxRows } from '../src/model/views';
import { LABELLED_DATA } from './fixture';
import { describeLoad, describeMachine } from './machine';
import { figure, note, pairedRatio, spread } from './report';

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const plan = { oneView: smoke ? 64 : 1024, eightViews: smoke ? 16 : 256, repeats: smoke ? 2 : 5 };
  describeMachine();
  describeLoad('start');
  const threadsAt = process.argv.indexOf('--threads');
  const runtime = setUpRuntime({ device: 'cpu', threads: threadsAt > 0 ? Number(process.argv[threadsAt + 1]) : os.availableParallelism() });
  figure('threads', runtime.threads);
  figure('bfloat16', String(runtime.bfloat16));

  const folder = scanImageFolder(LABELLED_DATA);
  const files = folder.images.filter((_, i) => i % 9 === 0).slice(0, plan.oneView).map((image) => image.path);
  const storedSize = storedSizeFor(TRAIN_DEFAULTS.inputSize, TRAIN_DEFAULTS.crop);
  const { pixels, loaded } = await loadImages(files, storedSize);
  const indices = Int32Array.from(loaded.keys());
  const { mean, std } = channelStatistics(pixels, storedSize, TRAIN_DEFAULTS.inputSize, indices);
  const info: ModelInfo = {
    format: 'wbc-classifier-model', version: 2, classes: folder.classes, network: networkSpec(TRAIN_DEFAULTS.width, folder.classes.length),
    input: { inputSize: TRAIN_DEFAULTS.inputSize, storedSize, mean, std }, testTimeViews: 8, reviewThreshold: 0.5,
  };
  const engine = newEngine(info.network, info.input, { device: 'cpu', bfloat16: runtime.bfloat16, seed: 1 });
  const predictors: Record<'libtorch' | 'onnx', Predictor> = {
    libtorch: libtorchPredictor(engine),
    onnx: await onnxPredictor({ info, engine }, runtime.threads),
  };
  note(`${loaded.length} images at ${storedSize} px (input ${info.input.inputSize}), width ${TRAIN_DEFAULTS.width}, ${runtime.threads} threads`);

  for (const [views, count] of [[1, plan.oneView], [8, plan.eightViews]] as const) {
    const chosen = indices.subarray(0, count);
    // One untimed pass each: ONNX Runtime plans its memory on the first run.
    // Probabilities as classification makes them: the views' logits averaged, then the softmax.
    const probabilities = async (name: 'libtorch' | 'onnx') => softmaxRows(averageLogits((await predictors[name].scoreViews(pixels, chosen, views)).logitsPerView), info.classes.length, 1);
    const outputs = { libtorch: await probabilities('libtorch'), onnx: await probabilities('onnx') };
    let difference = 0;
    outputs.libtorch.forEach((p, i) => { difference = Math.max(difference, Math.abs(p - outputs.onnx[i])); });
    figure(`views${views}_max_probability_difference`, difference);
    const rates: Record<'libtorch' | 'onnx', number[]> = { libtorch: [], onnx: [] };
    for (let repeat = 0; repeat < plan.repeats; repeat += 1) {
      const order: ('libtorch' | 'onnx')[] = repeat % 2 === 0 ? ['onnx', 'libtorch'] : ['libtorch', 'onnx'];
      for (const name of order) {
        const started = performance.now();
        await predictors[name].scoreViews(pixels, chosen, views);
        rates[name].push((count * 1000) / (performance.now() - started));
      }
    }
    spread(`views${views}_libtorch_images_per_second`, rates.libtorch);
    spread(`views${views}_onnx_images_per_second`, rates.onnx);
    pairedRatio(`views${views}_onnx_over_libtorch`, rates.onnx, rates.libtorch);
  }
  await predictors.onnx.close();
  describeLoad('end');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
