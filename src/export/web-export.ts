import * as fs from 'node:fs';
import * as path from 'node:path';
import { trustUnderScheme } from '../classifier/scheme-trust';
import type { ReviewChoice } from '../model/model-schema';
import { loadModel, type ModelInfo } from '../model/model-folder';
import { setUpRuntime } from '../native/runtime';
import { fsyncDirectory } from '../util/atomic-write';
import { checkString } from '../util/check';
import { WbcError } from '../util/errors';
import type { ExportedModelFacts } from '../runtime/metadata';
import { onnxModelBytes } from '../runtime/onnx-model';
import { chooseScheme, type SchemeChoice } from '../scheme/choose-scheme';
import { KNN_NEIGHBOURS } from '../trust/out-of-scope';
import { trustFor, type ViewChoice } from '../trust/trust-model';
import { INDEX_HTML, STYLE_CSS } from './page-html';
import type { ModelFacts } from './page/protocol';

/** ONNX Runtime Web's single-file WebAssembly build and its binary; nothing else of the package is needed. */
const ORT_FILES = ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm'];
/** The k-NN bank (unit-length feature rows of training images), as the model folder holds it. */
const OUT_OF_SCOPE_FILE = 'out-of-scope.bin';
/** Marks a folder as one this command wrote, so that exporting again may replace it. */
const FACTS_FILE = 'facts.json';

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyTree(path.join(from, entry.name), path.join(to, entry.name));
    else if (entry.name.endsWith('.js')) fs.copyFileSync(path.join(from, entry.name), path.join(to, entry.name));
  }
}

/**
 * The out-of-scope check the page runs, with its bank: the k-NN one (src/export/page/knn.ts); the
 * Mahalanobis one stays CLI-only.
 */
function pageOutOfScope(info: ModelInfo, bytes: Uint8Array | undefined): { facts: ModelFacts['outOfScope']; bank?: Uint8Array } {
  const spec = info.outOfScope;
  if (spec?.method !== 'knn' || !bytes) return { facts: null };
  return { facts: { featureSize: spec.featureSize, neighbours: spec.neighbours ?? KNN_NEIGHBOURS, threshold: spec.threshold }, bank: bytes };
}

function requireReplaceable(folder: string): void {
  if (!fs.existsSync(folder)) return;
  if (!fs.statSync(folder).isDirectory()) throw new WbcError(`--web ${folder} exists and is not a folder`);
  const entries = fs.readdirSync(folder);
  if (entries.length > 0 && !entries.includes(FACTS_FILE)) throw new WbcError(`--web ${folder} is a folder with other files in it; name a new or empty folder`);
}

export interface WebExportOptions {
  /** The reporting scheme the page reports in: `nine` (the default), `grouped`, a scheme file's path, or a definition. */
  scheme?: SchemeChoice;
}

export interface WebExportResult {
  folder: string;
  files: number;
  /** The ONNX facts, and what the page reports with (facts.json holds both). */
  facts: ExportedModelFacts & ModelFacts;
  /** How the scheme's own review threshold was chosen; absent when it is the class-level one. */
  schemeReview?: ReviewChoice;
}

/**
 * Writes a static page that classifies images in the browser: index.html, the ONNX model, its facts,
 * ONNX Runtime Web and the page's scripts. The facts carry the reporting scheme, its review threshold
 * (chosen as `wbc classify --scheme` chooses it, for the model's test-time views), the non-white kinds and
 * the k-NN out-of-scope check (with its bank, out-of-scope.bin).
 * It is built beside `folder` and renamed into place, so the folder is either the old page or the whole new one.
 */
export function exportWeb(modelDir: string, folder: string, options: WebExportOptions = {}): WebExportResult {
  checkString('model folder', modelDir);
  checkString('--web', folder);
  if (options.scheme !== undefined && typeof options.scheme !== 'string' && (typeof options.scheme !== 'object' || options.scheme === null)) {
    throw new WbcError('scheme must be nine, grouped, a scheme file\'s path or a scheme definition');
  }
  requireReplaceable(folder);
  const scripts = path.join(__dirname, '..', '..', 'web');
  if (!fs.existsSync(path.join(scripts, 'export', 'page', 'app.js'))) throw new WbcError(`the page's scripts are not built (${scripts}); run \`npm run build\``);
  const ortDist = path.dirname(require.resolve('onnxruntime-web'));
  setUpRuntime({ device: 'cpu', threads: 1 });
  const model = loadModel(modelDir, { device: 'cpu', bfloat16: false });
  const { info } = model;
  const scheme = chooseScheme(options.scheme, info.classes, info.nonWhite);
  // The page averages the model's own test-time views, so its threshold is classify's for that many views.
  const classTrust = trustFor(info, model.outOfScopeBytes, info.testTimeViews as ViewChoice);
  const { trust, review: schemeReview } = trustUnderScheme(modelDir, info, classTrust, scheme);
  const onnx = onnxModelBytes(model);
  const outOfScope = pageOutOfScope(info, model.outOfScopeBytes);
  const { bytes } = onnx;
  const facts = {
    ...onnx.facts,
    scheme: { name: scheme.name, categories: scheme.categories },
    schemeReviewThreshold: trust.reviewThreshold,
    nonWhite: info.nonWhite ?? [],
    outOfScope: outOfScope.facts,
  };

  const target = path.resolve(folder);
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(path.join(staging, 'ort'), { recursive: true });
    fs.writeFileSync(path.join(staging, 'index.html'), INDEX_HTML);
    fs.writeFileSync(path.join(staging, 'style.css'), STYLE_CSS);
    fs.writeFileSync(path.join(staging, 'model.onnx'), bytes);
    fs.writeFileSync(path.join(staging, FACTS_FILE), `${JSON.stringify(facts, null, 2)}\n`);
    if (outOfScope.bank) fs.writeFileSync(path.join(staging, OUT_OF_SCOPE_FILE), outOfScope.bank);
    for (const file of ORT_FILES) fs.copyFileSync(path.join(ortDist, file), path.join(staging, 'ort', file));
    copyTree(scripts, path.join(staging, 'js'));
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    fsyncDirectory(path.dirname(target));
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (error instanceof WbcError) throw error;
    throw new WbcError(`cannot write the page to ${folder}: ${(error as Error).message}`);
  }
  const count = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(path.join(dir, e.name)) : 1), 0);
  return { folder, files: count(target), facts, ...(schemeReview && { schemeReview }) };
}
