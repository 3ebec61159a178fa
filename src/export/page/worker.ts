/**
 * The page's Web Worker: turns each image into the CLI's stored square (the browser's decode, then ../resize.ts),
 * then runs the exported model in ONNX Runtime Web (WebAssembly, one thread), averaging the logits of the model's test-time views,
 * and scores the plain view's features against the k-NN bank where the model has that out-of-scope check.
 */
import { averageViews, softmaxRows, viewBatch } from '../../model/views.js';
import { storedPixels } from './decode.js';
import { knnDistances } from './knn.js';
import type { FromWorker, ModelFacts, PageResult, ToWorker } from './protocol.js';

interface OrtTensor { data: Float32Array }
interface OrtSession { run(feeds: Record<string, unknown>, fetches: string[]): Promise<Record<string, OrtTensor>> }
interface Ort {
  env: { wasm: { numThreads: number } };
  Tensor: new (type: string, data: Uint8Array, dims: number[]) => unknown;
  InferenceSession: { create(url: string, options: Record<string, unknown>): Promise<OrtSession> };
}
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

const scope = self as unknown as WorkerScope;
const BATCH = 16;

/** The k-NN bank beside facts.json: whole rows of `featureSize` floats, or the page does not start. */
async function outOfScopeBank(featureSize: number): Promise<Float32Array> {
  const response = await fetch(new URL('../../../out-of-scope.bin', import.meta.url));
  if (!response.ok) throw new Error(`out-of-scope.bin: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength === 0 || bytes.byteLength % (4 * featureSize) !== 0) throw new Error(`out-of-scope.bin holds ${bytes.byteLength} bytes, not rows of ${featureSize} floats`);
  return new Float32Array(bytes);
}

async function start(): Promise<void> {
  // This script is js/export/page/worker.js (the scripts keep src/'s layout), three folders below the page's files.
  // @ts-expect-error: a browser module beside this script, not a package TypeScript can resolve.
  const ort = (await import('../../../ort/ort.wasm.bundle.min.mjs')) as Ort;
  ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static server does not give
  const facts = (await (await fetch(new URL('../../../facts.json', import.meta.url))).json()) as ModelFacts;
  const session = await ort.InferenceSession.create(new URL('../../../model.onnx', import.meta.url).href, { executionProviders: ['wasm'] });
  const bank = facts.outOfScope ? await outOfScopeBank(facts.outOfScope.featureSize) : null;
  scope.postMessage({ kind: 'ready', facts });

  scope.onmessage = (event) => {
    void classify(event.data.files).catch((error: unknown) => scope.postMessage({ kind: 'failed', message: String(error) }));
  };

  async function classify(files: File[]): Promise<void> {
    const started = performance.now();
    const size = facts.storedSize;
    const classes = facts.classes.length;
    const views = facts.testTimeViews;
    const results: PageResult[] = [];
    for (let first = 0; first < files.length; first += BATCH) {
      const batch: PageResult[] = files.slice(first, first + BATCH).map((file) => ({ file: file.name, probabilities: null, outOfScopeScore: null }));
      const decoded: { row: PageResult; pixels: Uint8Array }[] = [];
      for (const [i, row] of batch.entries()) {
        try {
          decoded.push({ row, pixels: await storedPixels(files[first + i], size) });
        } catch (error) {
          row.error = `not an image this browser decodes (${String(error)})`;
        }
      }
      if (decoded.length > 0) {
        const images = new Uint8Array(decoded.length * size * size * 3);
        decoded.forEach((d, i) => images.set(d.pixels, i * size * size * 3));
        const input = new ort.Tensor('uint8', viewBatch(images, decoded.length, size, views), [views * decoded.length, size, size, 3]);
        // As the CLI combines views: the views' logits averaged, then softmax(average / temperature).
        const check = facts.outOfScope;
        const output = await session.run({ image: input }, check ? ['logits', 'features'] : ['logits']);
        const average = softmaxRows(averageViews(output.logits.data, decoded.length, classes, views), classes, facts.temperatures[String(views)] ?? 1);
        // The rows are view by view, so the plain view's features come first, as the CLI scores them.
        const scores = check && bank ? knnDistances(bank, output.features.data.subarray(0, decoded.length * check.featureSize), check.featureSize, check.neighbours) : null;
        decoded.forEach((d, i) => {
          d.row.probabilities = Array.from(average.subarray(i * classes, (i + 1) * classes));
          d.row.outOfScopeScore = scores ? scores[i] : null;
        });
      }
      results.push(...batch);
      scope.postMessage({ kind: 'progress', done: results.length, total: files.length });
    }
    scope.postMessage({ kind: 'done', results, seconds: (performance.now() - started) / 1000 });
  }
}

start().catch((error: unknown) => scope.postMessage({ kind: 'failed', message: `cannot load the model: ${String(error)}` }));
