import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Prediction } from '../../src/classify/predictions';
import { buildApp } from '../../src/serve/app';
import { FolderKeeper } from '../../src/serve/background';
import { ClassifyQueue } from '../../src/serve/classify-queue';
import { scanFolder } from '../../src/serve/folder-scan';
import { oneReview, type AppContext } from '../../src/serve/context';
import { ReviewStore } from '../../src/serve/store';
import { chooseScheme } from '../../src/scheme/choose-scheme';
import { makeTempDir, writeSolid } from '../helpers/images';

export const CLASSES = ['blue', 'green', 'red'];

/** A prediction of `file` as `prediction` with the given confidence; the rest spread over the other classes. */
export function prediction(file: string, name: string, confidence: number, extra: Partial<Prediction> = {}): Prediction {
  const rest = (1 - confidence) / (CLASSES.length - 1);
  const probabilities = CLASSES.map((c) => (c === name ? confidence : rest));
  const second = CLASSES.find((c) => c !== name)!;
  return { file, prediction: name, confidence, second, secondConfidence: rest, needsReview: confidence < 0.6, outOfScopeScore: null, outOfScope: false, probabilities, group: name, groupConfidence: confidence, ...extra };
}

export interface ApiFixture {
  dir: string;
  imageDir: string;
  db: string;
  store: ReviewStore;
  context: AppContext;
  app: ReturnType<typeof buildApp>;
}

/**
 * A review of a folder of 4 small PNGs (one in a sub-folder) with stored predictions, without a model:
 * enough for the API, which never needs the engine once a folder is classified.
 */
export async function apiFixture(overrides: Partial<AppContext> = {}): Promise<ApiFixture> {
  const dir = makeTempDir();
  const imageDir = path.join(dir, 'images');
  await writeSolid(path.join(imageDir, 'a.png'), 8, 8, [200, 60, 60]);
  await writeSolid(path.join(imageDir, 'b.png'), 8, 8, [60, 200, 60]);
  await writeSolid(path.join(imageDir, 'c.png'), 8, 8, [60, 60, 200]);
  await writeSolid(path.join(imageDir, 'deeper', 'd.png'), 8, 8, [60, 60, 200]);
  const db = path.join(dir, 'review.sqlite');
  const store = new ReviewStore(db);
  const scheme = overrides.scheme ?? chooseScheme('nine', CLASSES);
  // Each cell's group is its prediction's category (true of these predictions, each sure of its class).
  const inScheme = (p: Prediction): Prediction => ({ ...p, group: scheme.categories[scheme.categoryOfClass[CLASSES.indexOf(p.prediction)]].name });
  store.addPredictions([
    prediction('a.png', 'red', 0.9),
    prediction('b.png', 'green', 0.5),
    prediction('c.png', 'blue', 0.8),
    prediction(path.join('deeper', 'd.png'), 'blue', 0.95),
  ].map(inScheme), (await scanFolder(fs.realpathSync(imageDir))).sha256);
  // No model: the fixture's images are classified already, so a rescan only checks them.
  const keeper = new FolderKeeper(store, fs.realpathSync(imageDir), new ClassifyQueue({ modelDir: path.join(dir, 'no-model'), scheme: { name: scheme.name, categories: scheme.categories } }));
  await keeper.rescan();
  const context: AppContext = {
    store,
    classes: CLASSES,
    nonWhite: [],
    scheme,
    realImageDir: fs.realpathSync(imageDir),
    progress: keeper.progress,
    refused: keeper.refused,
    rescan: () => keeper.rescan(),
    exportDir: path.join(dir, 'exported'),
    loopbackOnly: true,
    title: 'images',
    modelName: 'model',
    modelVersion: `sha256:${'0'.repeat(64)}`,
    ...overrides,
  };
  const app = buildApp(oneReview(context));
  return { dir, imageDir, db, store, context, app };
}
