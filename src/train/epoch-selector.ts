/**
 * Chooses which epoch's weights to keep. A validation split of a few hundred images scores with a
 * standard error of about a point, so the single best epoch is partly luck; this keeps the latest
 * epoch within one standard error of the best (the "one-standard-error rule" of Breiman et al.,
 * 1984, leaning towards the more-trained model), and counts epochs since the best for early stopping.
 */
export interface EpochSelectorState {
  best: number;
  kept: number;
  epochsSinceBest: number;
}

export class EpochSelector {
  private best = -1;
  /** The epoch whose weights are kept. */
  kept = 0;
  epochsSinceBest = 0;

  constructor(private readonly validationSize: number) {}

  /** What a resumed run needs to choose as this one would have. */
  getState(): EpochSelectorState {
    return { best: this.best, kept: this.kept, epochsSinceBest: this.epochsSinceBest };
  }

  setState(state: EpochSelectorState): void {
    ({ best: this.best, kept: this.kept, epochsSinceBest: this.epochsSinceBest } = state);
  }

  /** Records an epoch's validation accuracy; true when its weights should replace the kept ones. */
  record(epoch: number, accuracy: number): boolean {
    // A tie is no worse: it restarts the patience count, as the schedule may still be annealing.
    if (accuracy >= this.best) {
      this.best = accuracy;
      this.epochsSinceBest = 0;
    } else {
      this.epochsSinceBest += 1;
    }
    const standardError = Math.sqrt((this.best * (1 - this.best)) / Math.max(1, this.validationSize));
    if (accuracy < this.best - standardError) return false;
    this.kept = epoch;
    return true;
  }
}
