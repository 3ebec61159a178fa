import * as path from 'node:path';
import { train } from '../../src/train/train';
import { makeLabelledFolder, makeNonWhiteFolder } from './images';

/** In `dir`: 12 synthetic images per white class and per non-white kind, and a tiny model trained on both (one thread, no cache). */
export async function trainTinyNonWhiteModel(dir: string): Promise<{ white: string; nonWhite: string; model: string }> {
  const white = path.join(dir, 'white');
  const nonWhite = path.join(dir, 'non-white');
  await makeLabelledFolder(white, 12);
  await makeNonWhiteFolder(nonWhite, 12);
  const model = path.join(dir, 'model');
  await train(white, { out: model, nonWhite, inputSize: 16, width: 4, epochs: 8, testTimeViews: 1, cacheDir: null, threads: 1 });
  return { white, nonWhite, model };
}
