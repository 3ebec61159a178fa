import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { needsOwnThreshold } from '../classifier/scheme-trust';
import { modelFingerprint, readModelInfo } from '../model/model-folder';
import { chooseScheme, type SchemeChoice } from '../scheme/choose-scheme';
import type { Scheme, SchemeDefinition } from '../scheme/scheme';
import { checkRuntimeOptions, cpuHasNativeBfloat16, resolvePrecision, type PrecisionChoice } from '../native/runtime';
import { checkInteger, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { checkOutputPaths } from '../util/output-paths';
import { readRegularFile } from '../util/safe-read';
import { buildApp } from './app';
import { ClassifyQueue } from './classify-queue';
import type { Reviews } from './context';
import { isLoopback } from '../util/loopback';
import { openableUrls } from './listen-address';
import { ReviewDatabase } from './review-database';
import { ServedCases } from './served-cases';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** The review database of every case (default: `<image-dir>.review.sqlite` beside the image folder). */
  db?: string;
  /** Required on every request; generated when binding beyond loopback without one (see chooseToken). */
  token?: string;
  /** A PEM certificate (chain) and its private key: served over HTTPS, the token cookie marked Secure. */
  tlsCert?: string;
  tlsKey?: string;
  /** Where "export labelled folder" writes (default: `<image-dir>-reviewed` beside the image folder; one sub-folder per case). */
  exportDir?: string;
  threads?: number;
  precision?: PrecisionChoice;
  /**
   * The reporting scheme (`nine` by default, `grouped`, a scheme file or a definition): the review queue
   * uses its review threshold, the gallery and the differential its categories. Recorded with the review.
   */
  scheme?: SchemeChoice;
}

export interface RunningServer {
  /** The first of `urls`. */
  url: string;
  /** Where a browser can reach the server: the bound address, or for 0.0.0.0 the host name and each interface's address. */
  urls: string[];
  /** The token every request must carry, if any. */
  token?: string;
  /** The URL to open in a browser (with the token, which the page then keeps as a cookie). */
  openUrl: string;
  /** What the person starting it should know: plain HTTP beyond loopback. */
  warnings: string[];
  db: string;
  /** The cases served (one when the folder holds images itself), their progress read in place. */
  reviews: Reviews;
  /**
   * Stops the classification after its chunk under way (it ends by itself, closing its runtime), then the
   * server and the store. Gives what to tell the person stopping it: a worker that had to be terminated.
   */
  close(): Promise<string[]>;
}

function realFolder(dir: string, what: string): string {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch {
    throw new WbcError(`no such folder: ${dir}`);
  }
  if (!stats.isDirectory()) throw new WbcError(`${what} ${dir} is not a folder`);
  return fs.realpathSync(dir);
}

function besideFolder(dir: string, suffix: string): string {
  const absolute = path.resolve(dir);
  return path.join(path.dirname(absolute), `${path.basename(absolute)}${suffix}`);
}

function checkServeOptions(options: ServeOptions): void {
  optional(options.port, (v) => checkInteger('--port', v, 0, 65535));
  optional(options.host, (v) => checkString('--host', v));
  optional(options.db, (v) => checkString('--db', v));
  optional(options.exportDir, (v) => checkString('--export-dir', v));
  optional(options.threads, (v) => checkInteger('--threads', v, 1, 1024));
  checkRuntimeOptions({ precision: options.precision });
  // Classification runs later, in a worker: refuse a precision this CPU lacks now, in one line.
  if (options.precision) resolvePrecision(options.precision, 'cpu', cpuHasNativeBfloat16());
  optional(options.token, (v) => {
    const token = checkString('--token', v);
    if (!/^[A-Za-z0-9._~+/=-]{16,256}$/.test(token)) throw new WbcError('the token must be 16 to 256 letters, digits or ._~+/=-');
  });
  optional(options.tlsCert, (v) => checkString('--tls-cert', v));
  optional(options.tlsKey, (v) => checkString('--tls-key', v));
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new WbcError('--tls-cert and --tls-key go together');
}

const MAX_PEM_BYTES = 1024 * 1024;

function readTls(options: ServeOptions): { cert: Buffer; key: Buffer } | undefined {
  if (options.tlsCert === undefined || options.tlsKey === undefined) return undefined;
  return { cert: readRegularFile(options.tlsCert, MAX_PEM_BYTES), key: readRegularFile(options.tlsKey, MAX_PEM_BYTES) };
}

/**
 * The same review must not be reopened against another folder or model: that would mix two reviews. The
 * model is known by its content (the hash of its model.json, which carries its weights' hash), not its
 * path: another model copied to the same path is refused. A review from before content hashes (no
 * model_sha256) is checked by path once and then bound to the model's content found there.
 */
function claimStore(store: ReviewDatabase, imageDir: string, modelDir: string, db: string): void {
  const savedFolder = store.getMeta('image_dir');
  if (savedFolder !== undefined && savedFolder !== imageDir) throw new WbcError(`the review ${db} belongs to the image folder ${savedFolder}; use --db for a new review`);
  const model = modelFingerprint(modelDir)!;
  const savedModel = store.getMeta('model_sha256');
  const savedPath = store.getMeta('model_dir');
  if (savedModel !== undefined && savedModel !== model) {
    throw new WbcError(`the review ${db} belongs to another model (model.json sha256 ${savedModel.slice(0, 12)}…, this one ${model.slice(0, 12)}…, last opened from ${savedPath}); use --db for a new review`);
  }
  if (savedModel === undefined && savedPath !== undefined && savedPath !== modelDir) throw new WbcError(`the review ${db} belongs to the model ${savedPath}; use --db for a new review`);
  if (savedFolder === undefined) store.setMeta('image_dir', imageDir);
  if (savedModel === undefined) store.setMeta('model_sha256', model);
  if (savedPath !== modelDir) store.setMeta('model_dir', modelDir);
}

/** What is recorded of a scheme: its name and categories, in order. */
function schemeRecord(scheme: SchemeDefinition): string {
  return JSON.stringify({ name: scheme.name, categories: scheme.categories.map(({ name, classes, loinc }) => ({ name, classes, ...(loinc !== undefined && { loinc }) })) });
}

/**
 * Each cell's group and review flag were set under the review's scheme, and a signed differential was
 * counted in it: a review database (every case in it) is never reopened under another scheme, or another
 * version of the same file, but refused in one line naming the scheme it was made under. A review from
 * before schemes was made class by class (nine).
 */
function claimScheme(store: ReviewDatabase, scheme: Scheme, nine: Scheme, db: string): void {
  const wanted = schemeRecord(scheme);
  const saved = store.getMeta('scheme') ?? (store.hasCells() ? schemeRecord(nine) : undefined);
  if (saved !== undefined && saved !== wanted) {
    const savedName = (JSON.parse(saved) as SchemeDefinition).name;
    const how = savedName === scheme.name ? `another version of scheme ${savedName} (its categories differ from this one's)` : `scheme ${savedName}, not ${scheme.name}`;
    throw new WbcError(`the review ${db} was classified and flagged under ${how}; open it with --scheme ${savedName} as it was, or use --db for a new review`);
  }
  if (store.getMeta('scheme') !== wanted) store.setMeta('scheme', wanted);
}

/**
 * Serves the review of an image folder (one case), or of a folder of cases (each first-level sub-folder
 * holding images; new ones picked up while it runs): rescans every case, then classifies what is new or
 * changed in a worker thread, one case after another, while the pages and the API already answer.
 */
export async function serve(modelDir: string, imageDir: string, options: ServeOptions = {}): Promise<RunningServer> {
  checkServeOptions(options);
  const info = readModelInfo(modelDir);
  const scheme = chooseScheme(options.scheme, info.classes, info.nonWhite);
  needsOwnThreshold(modelDir, info, scheme);
  const realImageDir = realFolder(imageDir, 'the image folder');
  const realModelDir = realFolder(modelDir, 'the model folder');
  const tls = readTls(options);
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopback(host);
  const token = options.token ?? (loopbackOnly ? undefined : randomBytes(24).toString('base64url'));
  const db = options.db ?? besideFolder(realImageDir, '.review.sqlite');
  const exportDir = options.exportDir ?? besideFolder(realImageDir, '-reviewed');
  checkOutputPaths(
    [{ path: db, option: '--db', kind: 'file' }, { path: exportDir, option: '--export-dir', kind: 'folder' }],
    [{ path: modelDir, what: 'the model folder' }, { path: imageDir, what: 'the image folder' }],
  );
  const database = new ReviewDatabase(db);
  const queue = new ClassifyQueue({
    modelDir: realModelDir, threads: options.threads, precision: options.precision, scheme: { name: scheme.name, categories: scheme.categories },
  });
  let cases: ServedCases;
  try {
    claimStore(database, realImageDir, realModelDir, db);
    claimScheme(database, scheme, chooseScheme('nine', info.classes, info.nonWhite), db);
    cases = new ServedCases(database, queue, {
      realRoot: realImageDir, exportDir, classes: info.classes, nonWhite: info.nonWhite ?? [], scheme, modelName: path.basename(realModelDir),
      modelVersion: `sha256:${modelFingerprint(realModelDir)!}`, token, loopbackOnly,
    }, db);
    await cases.open();
  } catch (error) {
    await queue.stop();
    database.close();
    throw error;
  }
  const watchWarnings = new Set<string>();
  cases.watch((message) => watchWarnings.add(message));
  const app = buildApp(cases, { tls });
  const close = async (): Promise<string[]> => {
    await cases.stop();
    const warnings = await queue.stop();
    await app.close();
    database.close();
    return [...watchWarnings, ...warnings];
  };
  try {
    await app.listen({ port: options.port ?? 8080, host });
  } catch (error) {
    await close();
    throw new WbcError(`cannot listen on ${host}:${options.port ?? 8080}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port ?? 8080;
  const urls = openableUrls(host, port, tls ? 'https' : 'http');
  const warnings = tls || loopbackOnly ? [] : ['plain HTTP beyond loopback: the token and the images cross the network unencrypted (use --tls-cert and --tls-key)'];
  return { url: urls[0], urls, token, openUrl: token ? `${urls[0]}?token=${token}` : urls[0], warnings, db, reviews: cases, close };
}
