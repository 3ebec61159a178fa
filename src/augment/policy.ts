import { Rng } from '../util/rng';

/**
 * Per-image augmentation parameters, laid out as the native batch builder reads them
 * (src/native/addon/batch.h, AugmentField): keep the two in the same order.
 */
export const AUGMENT_FIELDS = 9;
const DIHEDRAL = 0;
const SCALE = 1;
const SHIFT_X = 2;
const SHIFT_Y = 3;
const BRIGHTNESS = 4;
const CONTRAST = 5;
const GAIN_RED = 6;

/**
 * Augmentations that suit stained blood smears: a cell has no up or down, so all eight flips and
 * quarter turns are fair; it is roughly centred, so scale and shift stay small; staining and
 * illumination vary between labs, so brightness, contrast and per-channel (stain) gains jitter.
 */
export interface AugmentPolicy {
  /** Random flips and quarter turns. */
  dihedral: boolean;
  /** Zoom factor range around the centre crop. */
  scale: [number, number];
  /** Largest shift, as a fraction of the stored image's half-width. */
  shift: number;
  /** Largest relative change of brightness, contrast and each channel's gain. */
  brightness: number;
  contrast: number;
  stain: number;
}

export const DEFAULT_AUGMENT_POLICY: AugmentPolicy = {
  dihedral: true,
  scale: [0.9, 1.1],
  shift: 0.06,
  brightness: 0.1,
  contrast: 0.15,
  stain: 0.05,
};

/** Parameters that leave every image as its plain centre crop. */
export function identityAugmentation(count: number): Float32Array {
  const params = new Float32Array(count * AUGMENT_FIELDS);
  for (let i = 0; i < count; i += 1) {
    const row = i * AUGMENT_FIELDS;
    params.fill(1, row + SCALE, row + SCALE + 1);
    params.fill(1, row + BRIGHTNESS, row + GAIN_RED + 3);
  }
  return params;
}

/** Random parameters for `count` training images. */
export function sampleAugmentation(policy: AugmentPolicy, count: number, rng: Rng): Float32Array {
  const params = identityAugmentation(count);
  for (let i = 0; i < count; i += 1) {
    const row = i * AUGMENT_FIELDS;
    params[row + DIHEDRAL] = policy.dihedral ? rng.int(8) : 0;
    params[row + SCALE] = rng.uniform(policy.scale[0], policy.scale[1]);
    params[row + SHIFT_X] = rng.uniform(-policy.shift, policy.shift);
    params[row + SHIFT_Y] = rng.uniform(-policy.shift, policy.shift);
    params[row + BRIGHTNESS] = rng.uniform(1 - policy.brightness, 1 + policy.brightness);
    params[row + CONTRAST] = rng.uniform(1 - policy.contrast, 1 + policy.contrast);
    for (let channel = 0; channel < 3; channel += 1) {
      params[row + GAIN_RED + channel] = rng.uniform(1 - policy.stain, 1 + policy.stain);
    }
  }
  return params;
}

/**
 * Test-time augmentation: the plain crop plus flips (2 views), all flips (4) or every flip and
 * quarter turn (8). Each view is one parameter array for all `count` images.
 */
export function dihedralViews(count: number, views: number): Float32Array[] {
  if (![1, 2, 4, 8].includes(views)) throw new RangeError('test-time views must be 1, 2, 4 or 8');
  return Array.from({ length: views }, (_, dihedral) => {
    const params = identityAugmentation(count);
    for (let i = 0; i < count; i += 1) params[i * AUGMENT_FIELDS + DIHEDRAL] = dihedral;
    return params;
  });
}
