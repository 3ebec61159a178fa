import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadedModel } from '../model/model-folder';
import { requireFinite } from '../model/predict';
import { messageOf, WbcError } from '../util/errors';
import { stopWorker } from '../util/worker-stop';
import { onnxModelBytes } from './onnx-model';
import type { OnnxClose, OnnxReply, OnnxRequest, OnnxWorkerData } from './onnx-worker';
import type { Predictor } from './predictor';

/**
 * Rows (images × views) per ONNX Runtime call. ONNX Runtime's arena keeps the largest call's activations
 * for good: classifying 10,000 images with 8 views peaked at 1.08 GB with 512 rows a call, 0.72 GB with 256
 * and 0.54 GB with 128, at the same speed once running; and a fresh session's first call, which faults the
 * arena in, cost about 300 ms more than later ones at 256 rows against 150 ms at 128 (bench/RESULTS.md).
 * Counting rows, not images, keeps calls of one view as large: 32 images a call made one view cost as much
 * as 1.7 of eight.
 */
const ROWS_PER_CALL = 128;

interface SessionThread {
  run(request: OnnxRequest): Promise<{ logits: Float32Array; features: Float32Array }>;
  /** Waits for the requests in flight, then lets the thread release its session and end by itself. */
  close(): Promise<void>;
}

/**
 * Opens the session in a worker thread (src/runtime/onnx-worker.ts) and returns once it is open. Requests
 * run one at a time, in order; the thread keeps the process alive only while one is in flight.
 */
async function startSessionThread(bytes: Uint8Array, threads: number): Promise<SessionThread> {
  const worker = new Worker(path.join(__dirname, 'onnx-worker.js'), { workerData: { bytes, threads } satisfies OnnxWorkerData });
  const nextReply = (): Promise<OnnxReply> => new Promise((resolve, reject) => {
    const stop = (): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const onMessage = (reply: OnnxReply): void => { stop(); resolve(reply); };
    const onError = (error: Error): void => { stop(); reject(new WbcError(`ONNX Runtime's thread failed: ${messageOf(error)}`)); };
    const onExit = (code: number): void => { stop(); reject(new WbcError(`ONNX Runtime's thread stopped (exit code ${code})`)); };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
  const opened = await nextReply();
  if (opened.type === 'failed') {
    // A thread whose session failed to open listens to nothing and ends by itself.
    await stopWorker(worker);
    throw new WbcError(opened.message);
  }
  worker.unref();
  let queue: Promise<unknown> = Promise.resolve();
  const runNow = async (request: OnnxRequest) => {
    worker.ref();
    try {
      worker.postMessage(request);
      const reply = await nextReply();
      if (reply.type !== 'scored') throw new WbcError(reply.type === 'failed' ? reply.message : 'ONNX Runtime\'s thread answered out of turn');
      return reply;
    } finally {
      worker.unref();
    }
  };
  return {
    run(request) {
      const result = queue.then(() => runNow(request));
      queue = result.catch(() => undefined);
      return result;
    },
    close: async () => {
      await queue;
      if (await stopWorker(worker, { type: 'close' } satisfies OnnxClose) === 'terminated') {
        process.emitWarning('ONNX Runtime\'s thread did not end when closed and was terminated');
      }
    },
  };
}

/**
 * The loaded model, exported in memory and run through ONNX Runtime in a thread of its own: the same
 * answers as the file `wbc export` writes, without holding the event loop.
 */
export async function onnxPredictor(model: LoadedModel, threads: number): Promise<Predictor> {
  const { bytes } = onnxModelBytes(model);
  const session = await startSessionThread(bytes, threads);
  const storedSize = model.info.input.storedSize;
  const classes = model.info.classes.length;
  const featureSize = model.info.network.widths[model.info.network.widths.length - 1];
  const imageBytes = storedSize * storedSize * 3;
  return {
    engine: 'onnx',
    async scoreViews(pixels, indices, views, firstView = 0) {
      const n = indices.length;
      const scoredViews = views - firstView;
      const logitsPerView = Array.from({ length: scoredViews }, () => new Float32Array(n * classes));
      const features = new Float32Array(firstView === 0 ? n * featureSize : 0);
      const imagesPerCall = Math.max(1, Math.floor(ROWS_PER_CALL / scoredViews));
      for (let start = 0; start < n; start += imagesPerCall) {
        const count = Math.min(imagesPerCall, n - start);
        const images = new Uint8Array(count * imageBytes);
        for (let i = 0; i < count; i += 1) {
          const index = indices[start + i];
          if (!Number.isInteger(index) || index < 0 || (index + 1) * imageBytes > pixels.length) throw new WbcError(`image index ${index} is outside the pixel buffer`);
          images.set(pixels.subarray(index * imageBytes, (index + 1) * imageBytes), i * imageBytes);
        }
        const out = await session.run({ type: 'score', images, count, storedSize, views, firstView, featureSize });
        const logits = requireFinite(out.logits);
        // View-major rows: each view's logits for this chunk are contiguous, in view order.
        for (let v = 0; v < scoredViews; v += 1) logitsPerView[v].set(logits.subarray(v * count * classes, (v + 1) * count * classes), start * classes);
        if (firstView === 0) features.set(out.features, start * featureSize);
      }
      return { classes, featureSize, logitsPerView, features };
    },
    close: () => session.close(),
  };
}
