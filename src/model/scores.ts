import { dihedralViews } from '../augment/policy';
import { nativeMessage, type NativeEngine } from '../native/binding';
import { WbcError } from '../util/errors';

/** What one scoring pass gives per image: class logits for each test-time view, and the plain view's pooled features. */
export interface ViewScores {
  classes: number;
  featureSize: number;
  /** One n × classes array of logits per view scored, in view order (the plain view first when it was scored). */
  logitsPerView: Float32Array[];
  /** n × featureSize pooled features of the plain view; empty when the plain view was not scored. */
  features: Float32Array;
}

/**
 * Scores images under test-time views `firstView` to `views - 1` (view 0 is the plain crop, then flips and
 * quarter turns), one forward pass per view; the plain view's pass also gives the features. Asynchronous,
 * so that the engine's passes can run off the JavaScript thread.
 */
export async function scoreViews(engine: NativeEngine, pixels: Uint8Array, indices: Int32Array, views: number, firstView = 0): Promise<ViewScores> {
  const featureSize = engine.featureSize();
  const n = indices.length;
  const logitsPerView: Float32Array[] = [];
  let features = new Float32Array(0);
  let classes = 0;
  const augments = (views === 1 ? [null] : dihedralViews(n, views)).slice(firstView);
  for (const [position, augment] of augments.entries()) {
    const view = firstView + position;
    let rows: Float32Array;
    try {
      rows = await engine.logitsAndFeatures(pixels, indices, augment);
    } catch (error) {
      throw new WbcError(`prediction failed: ${nativeMessage(error)}`);
    }
    const rowSize = n ? rows.length / n : featureSize;
    classes = rowSize - featureSize;
    const logits = new Float32Array(n * classes);
    if (view === 0) features = new Float32Array(n * featureSize);
    for (let i = 0; i < n; i += 1) {
      logits.set(rows.subarray(i * rowSize, i * rowSize + classes), i * classes);
      if (view === 0) features.set(rows.subarray(i * rowSize + classes, (i + 1) * rowSize), i * featureSize);
    }
    logitsPerView.push(logits);
  }
  return { classes, featureSize, logitsPerView, features };
}

/**
 * How views combine: their logits are averaged, then turned into probabilities by
 * softmax(average / temperature). Averaging logits keeps one temperature meaningful per view count.
 */
export function averageLogits(logitsPerView: readonly Float32Array[], views = logitsPerView.length): Float32Array {
  const average = Float32Array.from(logitsPerView[0]);
  for (let view = 1; view < views; view += 1) {
    const logits = logitsPerView[view];
    for (let i = 0; i < average.length; i += 1) average[i] += logits[i];
  }
  for (let i = 0; i < average.length; i += 1) average[i] /= views;
  return average;
}

/** The top probability of each row, and whether its class is the true one. */
export function topLabel(probabilities: Float32Array, classes: number, truth: ArrayLike<number>): { confidences: Float64Array; correct: boolean[] } {
  const confidences = new Float64Array(truth.length);
  const correct = new Array<boolean>(truth.length);
  for (let row = 0; row < truth.length; row += 1) {
    let best = 0;
    for (let c = 1; c < classes; c += 1) if (probabilities[row * classes + c] > probabilities[row * classes + best]) best = c;
    confidences[row] = probabilities[row * classes + best];
    correct[row] = best === truth[row];
  }
  return { confidences, correct };
}
