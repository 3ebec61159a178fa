import type { ModelInfo } from '../model/model-folder';
import type { ReviewChoice } from '../model/model-schema';
import type { Scheme } from '../scheme/scheme';
import type { Trust, TrustedScores } from '../trust/trust-model';

/** A loaded model ready to score decoded images, under one runtime and one set of trust settings. */
export interface Scoring {
  readonly info: ModelInfo;
  /** The review threshold in `trust` is the scheme's: for its categories' confidences. */
  readonly trust: Trust;
  /** The reporting scheme answers are grouped, flagged and counted by. */
  readonly scheme: Scheme;
  /** The class-level review threshold (the scheme's may differ), for figures class by class. */
  readonly classReviewThreshold: number;
  /** How the scheme's own review threshold was chosen; absent when it is the class-level one. */
  readonly schemeReview?: ReviewChoice;
  /**
   * Calibrated probabilities and out-of-scope scores of the stored-size images at `indices` of `pixels`:
   * the one way a batch is scored (the runtime's view logits, then src/trust/trust-model.ts).
   */
  score(pixels: Uint8Array, indices: Int32Array): Promise<TrustedScores>;
}

/**
 * Images decoded and scored at once: bounds memory whatever the folder's size. A multiple of LibTorch's
 * own evaluation batch (256), so that chunking does not change which images share a batch.
 */
export const DEFAULT_CHUNK_SIZE = 1024;
