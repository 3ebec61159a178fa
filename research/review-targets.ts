/**
 * `node dist/research/review-targets.js <model-dir> [--data DIR] [--targets 0.015,0.02,...]`: a trained model's
 * calibration and review on its own test split (research/RESULTS.md, "The default model's calibration and
 * review"). ECE before and after its temperature; then, for each --max-accepted-error, the review threshold
 * that training would choose on the model's validation images (the same function; the weights do not depend
 * on the target), applied to the test images: share flagged (low confidence or out of scope), accuracy of the rest.
 * Last, the best that any threshold could do on these test images with at most 25% flagged.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LABELLED_DATA } from '../bench/fixture';
import { loadImages } from '../src/data/load-images';
import { PixelCache, defaultCacheDir } from '../src/data/pixel-cache';
import { loadModel, type ModelInfo } from '../src/model/model-folder';
import { setUpRuntime } from '../src/native/runtime';
import { expectedCalibrationError } from '../src/trust/ece';
import { chooseGuaranteedThreshold } from '../src/trust/review-threshold';
import { averageLogits, scoreViews, topLabel } from '../src/model/scores';
import { softmaxRows } from '../src/model/views';
import { trustFor, trustedScores, type ViewChoice } from '../src/trust/trust-model';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: LABELLED_DATA },
    targets: { type: 'string', default: '0.015,0.02,0.025,0.03' },
  },
});

/** Issue 10's bound on the share of cells flagged for review. */
const MOST_FLAGGED = 0.25;

async function main(): Promise<void> {
  const modelDir = positionals[0];
  if (!modelDir) throw new Error('usage: review-targets <model-dir>');
  const { info, engine, outOfScopeBytes } = loadModel(modelDir, setUpRuntime({}));
  const split = info.split as NonNullable<ModelInfo['split']> & { validation: string[]; test: string[] };
  const classes = info.classes.length;
  const trust = trustFor(info, outOfScopeBytes, info.testTimeViews as ViewChoice);
  const outOfScopeThreshold = info.outOfScope!.threshold;
  const cache = new PixelCache(defaultCacheDir());

  const score = async (files: string[]) => {
    const loaded = await loadImages(files.map((file) => path.join(values.data!, file)), info.input.storedSize, { cache });
    const views = await scoreViews(engine, loaded.pixels, Int32Array.from(loaded.loaded.keys()), info.testTimeViews);
    const truth = Int32Array.from(loaded.loaded, (i) => info.classes.indexOf(files[i].split(/[\\/]/)[0]));
    const trusted = await trustedScores(views, trust);
    return { truth, logits: averageLogits(views.logitsPerView), ...topLabel(trusted.probabilities, classes, truth), outOfScope: trusted.outOfScopeScores! };
  };
  const validation = await score(split.validation);
  const test = await score(split.test);

  const before = topLabel(softmaxRows(test.logits, classes, 1), classes, test.truth);
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
  const accuracy = test.correct.filter(Boolean).length / test.correct.length;
  console.log(`test split: ${test.correct.length} images, accuracy ${(accuracy * 100).toFixed(2)}%, ${trust.views} views`);
  console.log(`ECE before ${expectedCalibrationError(before.confidences, before.correct).toFixed(3)} (mean confidence ${mean(before.confidences).toFixed(3)}), after ${expectedCalibrationError(test.confidences, test.correct).toFixed(3)} (mean confidence ${mean(test.confidences).toFixed(3)}, temperature ${trust.temperature.toFixed(3)})`);
  const testOutOfScope = Array.from(test.outOfScope, (s) => s > outOfScopeThreshold);
  console.log(`out of scope: ${((testOutOfScope.filter(Boolean).length / testOutOfScope.length) * 100).toFixed(1)}% of the test images`);

  for (const target of values.targets!.split(',').map(Number)) {
    const inScope = Array.from(validation.outOfScope.keys()).filter((i) => validation.outOfScope[i] <= outOfScopeThreshold);
    const choice = chooseGuaranteedThreshold(inScope.map((i) => validation.confidences[i]), inScope.map((i) => validation.correct[i]), target);
    const accepted = Array.from(test.confidences.keys()).filter((i) => test.confidences[i] >= choice.threshold && !testOutOfScope[i]);
    const right = accepted.filter((i) => test.correct[i]).length;
    console.log(`--max-accepted-error ${target}: threshold ${choice.threshold} (${choice.errors} wrong of ${choice.accepted} accepted validation images) -> test flagged ${(100 - (accepted.length / test.correct.length) * 100).toFixed(1)}%, accepted right ${((right / accepted.length) * 100).toFixed(2)}%`);
  }

  // What no rule choosing on the validation images can beat: the best threshold chosen on the test images themselves.
  for (const withOutOfScope of [false, true]) {
    let best = { flagged: 0, right: 0 };
    for (const threshold of new Set(test.confidences)) {
      const accepted = Array.from(test.confidences.keys()).filter((i) => test.confidences[i] >= threshold && !(withOutOfScope && testOutOfScope[i]));
      const flagged = 1 - accepted.length / test.correct.length;
      const right = accepted.filter((i) => test.correct[i]).length / accepted.length;
      if (flagged <= MOST_FLAGGED && right > best.right) best = { flagged, right };
    }
    console.log(`best possible with at most ${MOST_FLAGGED * 100}% flagged by confidence${withOutOfScope ? ' or out of scope' : ' alone'}: flagged ${(best.flagged * 100).toFixed(1)}%, accepted right ${(best.right * 100).toFixed(2)}%`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
