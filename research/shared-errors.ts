/**
 * `node dist/research/shared-errors.js <model> <model> ... [--data DIR] [--scheme S]`: are a scheme's errors
 * the recipe's or the images'? (issue 22)
 *
 * The models must share one test split (same seed and fractions, e.g. recipes trained with the same --seed).
 * Each scores that split (calibrated, its own views, LibTorch); printed per model: class and scheme accuracy
 * and the scheme's error count; then the models' averaged probabilities (an ensemble) scored the same way,
 * and how many of the scheme's errors every model makes, and how many any makes.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LABELLED_DATA } from '../bench/fixture';
import { openClassifier } from '../src/classifier/open-classifier';
import { loadImages } from '../src/data/load-images';
import { PixelCache, defaultCacheDir } from '../src/data/pixel-cache';
import { argmaxRows } from '../src/model/predict';
import { categoryProbabilities, topCategory } from '../src/scheme/category-scores';
import { chooseScheme } from '../src/scheme/choose-scheme';
import type { Scheme } from '../src/scheme/scheme';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: LABELLED_DATA },
    scheme: { type: 'string', default: 'grouped' },
  },
});

const cache = new PixelCache(defaultCacheDir());

interface Scored {
  classes: string[];
  nonWhite: string[];
  test: string[];
  probabilities: Float32Array;
}

async function score(modelDir: string): Promise<Scored> {
  const classifier = await openClassifier(modelDir, { engine: 'libtorch' });
  try {
    const { info } = classifier;
    // The white cells' test images (a non-white kind's are in another folder).
    const white = info.classes.filter((name) => !(info.nonWhite ?? []).includes(name));
    const test = info.split!.test.filter((file) => white.includes(file.split(/[\\/]/)[0]));
    const loaded = await loadImages(test.map((file) => path.join(values.data!, file)), info.input.storedSize, { cache });
    if (loaded.loaded.length !== test.length) throw new Error(`${test.length - loaded.loaded.length} test images could not be read`);
    const { probabilities } = await classifier.score(loaded.pixels, Int32Array.from(loaded.loaded.keys()));
    return { classes: info.classes, nonWhite: info.nonWhite ?? [], test, probabilities };
  } finally {
    await classifier.close();
  }
}

/** The images whose scheme category is wrong, and the class and category accuracies (as `wbc evaluate --scheme` counts them). */
function errorsOf(scored: Scored, scheme: Scheme, truth: Int32Array): { wrong: Set<string>; classAccuracy: number; schemeAccuracy: number } {
  const k = scored.classes.length;
  const predicted = argmaxRows(scored.probabilities, k);
  const categories = categoryProbabilities(scored.probabilities, scheme);
  const width = scheme.categories.length;
  const wrong = new Set<string>();
  let classRight = 0;
  for (let i = 0; i < truth.length; i += 1) {
    if (predicted[i] === truth[i]) classRight += 1;
    const { category } = topCategory(categories.subarray(i * width, (i + 1) * width));
    if (category !== scheme.categoryOfClass[truth[i]]) wrong.add(scored.test[i]);
  }
  return { wrong, classAccuracy: classRight / truth.length, schemeAccuracy: 1 - wrong.size / truth.length };
}

function line(name: string, result: ReturnType<typeof errorsOf>): string {
  return `${name}: classes ${(result.classAccuracy * 100).toFixed(2)}%, ${values.scheme} ${(result.schemeAccuracy * 100).toFixed(2)}% (${result.wrong.size} wrong)`;
}

async function main(): Promise<void> {
  if (positionals.length < 2) throw new Error('usage: shared-errors <model> <model> ... [--data DIR] [--scheme S]');
  const models: Scored[] = [];
  for (const dir of positionals) models.push(await score(dir));
  const [first] = models;
  for (const [i, other] of models.entries()) {
    if (other.test.join('\n') !== first.test.join('\n') || other.classes.join() !== first.classes.join()) {
      throw new Error(`${positionals[i]} has another test split or other classes than ${positionals[0]}`);
    }
  }
  const scheme = chooseScheme(values.scheme, first.classes, first.nonWhite);
  const truth = Int32Array.from(first.test, (file) => first.classes.indexOf(file.split(/[\\/]/)[0]));
  console.log(`${truth.length} test images, scheme ${values.scheme}`);
  const results = models.map((model) => errorsOf(model, scheme, truth));
  results.forEach((result, i) => console.log(line(positionals[i], result)));
  const averaged = new Float32Array(first.probabilities.length);
  for (const model of models) model.probabilities.forEach((p, j) => { averaged[j] += p / models.length; });
  console.log(line('averaged probabilities', errorsOf({ ...first, probabilities: averaged }, scheme, truth)));
  const every = [...results[0].wrong].filter((file) => results.every((result) => result.wrong.has(file)));
  const any = new Set(results.flatMap((result) => [...result.wrong]));
  console.log(`wrong under every model: ${every.length}; under any: ${any.size}`);
  for (const file of every) console.log(`  ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
