import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanImageFolder } from '../src/data/image-folder';
import { loadImages } from '../src/data/load-images';
import { PixelCache, defaultCacheDir } from '../src/data/pixel-cache';
import { channelStatistics } from '../src/data/statistics';
import { networkSpec, storedSizeFor } from '../src/model/architecture';
import type { InputSpec, NetworkSpec } from '../src/native/binding';
import { classCounts, inverseFrequencyWeights } from '../src/train/class-balance';
import { TRAIN_DEFAULTS } from '../src/train/train';

/** The labelled pool every bench reads by default: $WBC_DATA/wbc, else ../shared/data/wbc beside the project. */
export const LABELLED_DATA = process.env.WBC_DATA ? path.join(process.env.WBC_DATA, 'wbc') : path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'wbc');

/** The shared pool decoded once, at the default network's geometry, as both sides of the benchmark see it. */
export interface Pool {
  files: string[];
  pixels: Buffer;
  labels: Int32Array;
  classes: string[];
  network: NetworkSpec;
  input: InputSpec;
  classWeights: Float32Array;
  /** A scratch folder for the files handed to other processes; removed by dispose(). */
  scratch: string;
}

export async function loadPool(dataDir = LABELLED_DATA): Promise<Pool> {
  const folder = scanImageFolder(dataDir);
  const storedSize = storedSizeFor(TRAIN_DEFAULTS.inputSize, TRAIN_DEFAULTS.crop);
  // The default pixel cache, as `wbc train` uses it: a warm cache makes this a few seconds.
  const loaded = await loadImages(folder.images.map((image) => image.path), storedSize, { cache: new PixelCache(defaultCacheDir()) });
  const files = loaded.loaded.map((i) => folder.images[i].path);
  const labels = Int32Array.from(loaded.loaded, (i) => folder.images[i].label);
  const all = Int32Array.from(labels.keys());
  const { mean, std } = channelStatistics(loaded.pixels, storedSize, TRAIN_DEFAULTS.inputSize, all);
  return {
    files,
    pixels: loaded.pixels,
    labels,
    classes: folder.classes,
    network: networkSpec(TRAIN_DEFAULTS.width, folder.classes.length),
    input: { inputSize: TRAIN_DEFAULTS.inputSize, storedSize, mean, std },
    classWeights: inverseFrequencyWeights(classCounts(labels, folder.classes.length)),
    scratch: fs.mkdtempSync(path.join(os.tmpdir(), 'wbc-bench-')),
  };
}

/** Writes the pool's pixels and labels where the PyTorch worker can read them; returns its config fields. */
export function exportPool(pool: Pool): { pixelsFile: string; labelsFile: string; count: number } {
  const pixelsFile = path.join(pool.scratch, 'pixels.u8');
  const labelsFile = path.join(pool.scratch, 'labels.i32');
  fs.writeFileSync(pixelsFile, pool.pixels);
  fs.writeFileSync(labelsFile, Buffer.from(pool.labels.buffer, pool.labels.byteOffset, pool.labels.byteLength));
  return { pixelsFile, labelsFile, count: pool.labels.length };
}

/**
 * A folder of `count` images made of symbolic links to the pool's JPEGs, reused in turn:
 * listImages follows links, so `wbc classify` reads it as a folder of real images.
 */
export function linkedImageFolder(pool: Pool, count: number, name: string): string {
  const dir = path.join(pool.scratch, name);
  fs.mkdirSync(dir);
  const digits = String(count).length;
  for (let i = 0; i < count; i += 1) {
    fs.symlinkSync(pool.files[i % pool.files.length], path.join(dir, `${String(i).padStart(digits, '0')}.jpg`));
  }
  return dir;
}

export function dispose(pool: Pool): void {
  fs.rmSync(pool.scratch, { recursive: true, force: true });
}
