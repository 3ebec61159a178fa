import type { ClassMetrics, Metrics } from '../model/model-schema';
import { WbcError } from '../util/errors';

/** Declared beside model.json's schema, which stores a model's test metrics. */
export type { ClassMetrics, Metrics };

/** `numerator / denominator`, or 0 when the denominator is 0 (sklearn's zero_division=0). */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function checkInput(classes: readonly string[], truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (classes.length === 0) throw new WbcError('cannot compute metrics without any classes');
  if (new Set(classes).size !== classes.length) {
    throw new WbcError(`class names must be unique to compute metrics: ${classes.join(', ')}`);
  }
  if (truth.length !== predicted.length) {
    throw new WbcError(`cannot compute metrics: ${truth.length} true labels but ${predicted.length} predictions`);
  }
  if (truth.length === 0) throw new WbcError('cannot compute metrics on an empty set of images');
}

function checkLabel(label: number, classCount: number, what: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= classCount) {
    throw new WbcError(`${what} label ${label} is not a class index in [0, ${classCount - 1}]`);
  }
}

/** Confusion matrix, accuracy, per-class precision/recall/F1 and their class-averaged summaries. */
export function computeMetrics(
  classes: readonly string[],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): Metrics {
  checkInput(classes, truth, predicted);
  const classCount = classes.length;
  const confusionMatrix = classes.map(() => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i += 1) {
    checkLabel(truth[i], classCount, 'true');
    checkLabel(predicted[i], classCount, 'predicted');
    confusionMatrix[truth[i]][predicted[i]] += 1;
  }

  const perClass: Record<string, ClassMetrics> = {};
  let correct = 0;
  const presentRecalls: number[] = [];
  const presentF1s: number[] = [];
  classes.forEach((name, c) => {
    const truePositives = confusionMatrix[c][c];
    const support = confusionMatrix[c].reduce((sum, count) => sum + count, 0);
    const predictedAsClass = confusionMatrix.reduce((sum, row) => sum + row[c], 0);
    const precision = ratio(truePositives, predictedAsClass);
    const recall = ratio(truePositives, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass[name] = { precision, recall, f1, support };
    correct += truePositives;
    if (support > 0) {
      presentRecalls.push(recall);
      presentF1s.push(f1);
    }
  });

  // Balanced accuracy and macro-F1 average only over classes present in the truth, as sklearn does when
  // the labels are restricted to those present: a class absent from a split would otherwise pull both
  // averages down by a 0 that says nothing about the model.
  return {
    accuracy: correct / truth.length,
    balancedAccuracy: mean(presentRecalls),
    macroF1: mean(presentF1s),
    classes: [...classes],
    confusionMatrix,
    perClass,
  };
}
