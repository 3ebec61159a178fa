/**
 * The CLI's stored square (src/data/decode.ts: sharp's `resize(size, size, { fit: 'cover', kernel: 'lanczos3' })`,
 * reproduced natively in src/native/addon/jpeg-decode.cc and reduce.cc) from a browser's full-size decode, for
 * the web page. The steps are the CLI's: a JPEG is shrunk on load by 2, 4 or 8 (libjpeg scales its DCT; here a
 * box average of the full decode stands in for it, the one step that is not exact), then libvips' reduce with
 * the same integer box shrink, Lanczos-3 phase tables, fixed-point rounding and order (vertical first), or for a
 * picture smaller than the square libvips' bicubic enlargement, then the centre square is cut out.
 * test/export/resize.test.ts measures how close the pixels come.
 * No imports: the page compiles this file too.
 */

/** Interleaved RGB bytes, row after row. */
export interface RgbImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const PHASES = 64; // libvips' VIPS_TRANSFORM_SCALE: sub-pixel positions of the kernel
const WEIGHT_SHIFT = 12; // libvips' VIPS_INTERPOLATE_SHIFT: fixed-point weights
const GAP = 2; // vips_resize's default: box-shrink only what leaves at least ×2 for Lanczos

function lanczos3(x: number): number {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

/** C's rint in the default rounding mode: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  return fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
}

/**
 * sharp's shrink-on-load for a JPEG whose shorter side is `shorter` (fastShrinkOnLoad): 8, 4 or 2 when the whole
 * shrink is at least that, one step less when its integer part equals the factor. Other formats load at full size.
 */
export function jpegLoadShrink(shorter: number, storedSize: number): number {
  const shrink = shorter / storedSize;
  let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
  if (factor > 1 && Math.trunc(shrink) === factor) factor /= 2;
  return factor;
}

/**
 * The first three channels of `pixels` (`channels` bytes a pixel) averaged over `factor`×`factor` blocks, rounded:
 * floor(width / factor) × floor(height / factor), the top-left part libvips keeps of libjpeg's scaled decode.
 */
export function boxShrink(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: number, factor: number): RgbImage {
  const outWidth = Math.floor(width / factor);
  const outHeight = Math.floor(height / factor);
  const out = new Uint8Array(outWidth * outHeight * 3);
  const area = factor * factor;
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy += 1) {
          let at = ((y * factor + dy) * width + x * factor) * channels + c;
          for (let dx = 0; dx < factor; dx += 1, at += channels) sum += pixels[at];
        }
        out[(y * outWidth + x) * 3 + c] = Math.round(sum / area);
      }
    }
  }
  return { width: outWidth, height: outHeight, pixels: out };
}

/** For each output position along one axis, the input positions of its taps and their whole-number weights. */
interface AxisTaps {
  outLength: number;
  points: number;
  index: Int32Array;
  weight: Int32Array;
  /** The sum is divided by `points` as vips_shrinkv does, not shifted by 12 bits. */
  box: boolean;
}

function boxTaps(inLength: number, factor: number): AxisTaps {
  const outLength = Math.ceil(inLength / factor); // libvips shrinks with "ceil" inside reduce
  const index = new Int32Array(outLength * factor);
  for (let o = 0; o < outLength; o += 1) {
    for (let i = 0; i < factor; i += 1) index[o * factor + i] = Math.min(o * factor + i, inLength - 1);
  }
  return { outLength, points: factor, index, weight: new Int32Array(index.length).fill(1), box: true };
}

function lanczosTaps(inLength: number, outLength: number, shrink: number, extraPixels: number): AxisTaps {
  const points = 2 * roundHalfEven(3 * shrink) + 1;
  // One normalised, fixed-point kernel per 1/64-pixel phase (vips_reduce_make_mask), truncated as C++ casts.
  const table = new Int32Array((PHASES + 1) * points);
  const kernel = new Float64Array(points);
  for (let phase = 0; phase <= PHASES; phase += 1) {
    const half = phase / PHASES + points / 2 - 1;
    let sum = 0;
    for (let i = 0; i < points; i += 1) sum += kernel[i] = lanczos3((i - half) / shrink);
    for (let i = 0; i < points; i += 1) table[phase * points + i] = Math.trunc((kernel[i] / sum) * (1 << WEIGHT_SHIFT));
  }
  // Centre convention with the rounding slack split evenly between both ends (vips_reducev_build).
  const offset = (1 + extraPixels) / 2 - 1;
  const pad = Math.ceil(points / 2) - 1;
  const index = new Int32Array(outLength * points);
  const weight = new Int32Array(outLength * points);
  for (let o = 0; o < outLength; o += 1) {
    const position = (o + 0.5) * shrink - 0.5 - offset;
    const first = Math.trunc(position);
    const phase = ((Math.trunc(position * PHASES * 2) & (PHASES * 2 - 1)) + 1) >> 1;
    for (let i = 0; i < points; i += 1) {
      index[o * points + i] = Math.min(Math.max(first + i - pad, 0), inLength - 1);
      weight[o * points + i] = table[phase * points + i];
    }
  }
  return { outLength, points, index, weight, box: false };
}

/** The stages of one axis reduced by `shrink`: a box shrink first when the factor leaves more than the gap, then Lanczos-3. */
function planAxis(inLength: number, shrink: number): AxisTaps[] {
  const stages: AxisTaps[] = [];
  const outLength = Math.floor(inLength / shrink + 0.5);
  let extraPixels = outLength * shrink - inLength;
  let residual = shrink;
  const boxFactor = Math.max(1, Math.floor(inLength / outLength / GAP));
  let length = inLength;
  if (boxFactor > 1) {
    stages.push(boxTaps(inLength, boxFactor));
    length = stages[0].outLength;
    extraPixels /= boxFactor;
    residual /= boxFactor;
  }
  if (residual !== 1) stages.push(lanczosTaps(length, outLength, residual, extraPixels));
  return stages;
}

/** One stage along the rows (vertical) or the columns (horizontal), with libvips' integer rounding. */
function reduceAxis(image: RgbImage, taps: AxisTaps, vertical: boolean): RgbImage {
  const width = vertical ? image.width : taps.outLength;
  const height = vertical ? taps.outLength : image.height;
  const out = new Uint8Array(width * height * 3);
  const { points, index, weight } = taps;
  const boxMultiplier = Math.floor(2 ** 32 / (256 * points));
  const source = image.pixels;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const o = vertical ? y : x;
      for (let c = 0; c < 3; c += 1) {
        let sum = 0;
        for (let i = 0; i < points; i += 1) {
          const at = vertical ? (index[o * points + i] * image.width + x) * 3 : (y * image.width + index[o * points + i]) * 3;
          sum += weight[o * points + i] * source[at + c];
        }
        // vips_shrinkv's rounded division by a multiplication; reduce's rounded 12-bit shift.
        const value = taps.box ? Math.floor(((sum + (points >> 1)) * boxMultiplier) / 2 ** 24) : (sum + (1 << (WEIGHT_SHIFT - 1))) >> WEIGHT_SHIFT;
        out[(y * width + x) * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return { width, height, pixels: out };
}

/** vips_resize by 1/shrink on both axes (shrink ≥ 1): round(width / shrink) × round(height / shrink). */
export function vipsReduce(image: RgbImage, shrink: number): RgbImage {
  const factor = 1 / (1 / shrink); // sharp passes 1/shrink to vips_resize, which passes 1/scale on
  if (!(factor > 1)) return image;
  let current = image;
  for (const taps of planAxis(image.height, factor)) current = reduceAxis(current, taps, true);
  for (const taps of planAxis(image.width, factor)) current = reduceAxis(current, taps, false);
  return current;
}

/** libvips' Catmull-Rom weights for each 1/64-pixel phase, in 12-bit fixed point truncated as C casts (bicubic.cpp). */
const CATMULL_ROM: readonly Int32Array[] = Array.from({ length: PHASES + 1 }, (_, phase) => {
  const x = phase / PHASES;
  const cr1 = 1 - x;
  const cr3 = cr1 * (-0.5 * x);
  const one = cr1 * cr3;
  const four = x * cr3;
  const cr4 = four - one;
  return Int32Array.from([one, cr1 - one + cr4, x - four - cr4, four], (c) => Math.trunc(c * (1 << WEIGHT_SHIFT)));
});

/** The 4 taps of libvips' bicubic at `position` (in its input with a border of 2 pixels) and their weights. */
function bicubicTaps(position: number, length: number): { taps: number[]; weights: Int32Array } {
  const phase = ((Math.trunc(position * PHASES * 2) & (PHASES * 2 - 1)) + 1) >> 1;
  const first = Math.trunc(position) - 3;
  return { taps: [0, 1, 2, 3].map((k) => Math.min(Math.max(first + k, 0), length - 1)), weights: CATMULL_ROM[phase] };
}

/**
 * sharp's enlargement of a picture smaller than the square: vips_resize by 1/shrink is then vips_affine with
 * libvips' bicubic interpolator and its edges extended. Output pixel o samples input o × shrink − 0.5 (the
 * columns stepped by adding shrink, as libvips does); each row of the 4×4 taps is rounded before the column.
 */
function enlarge(image: RgbImage, shrink: number): RgbImage {
  const scale = 1 / shrink;
  const inverse = (1 / (scale * scale)) * scale; // vips__transform_calc_inverse
  const width = Math.trunc(scale * image.width + 0.5);
  const height = Math.trunc(scale * image.height + 0.5);
  const columns: ReturnType<typeof bicubicTaps>[] = [];
  // + 0.5 for libvips' input displacement (idx), + 1 for the border it adds beyond the stencil's.
  for (let o = 0, x = 1.5; o < width; o += 1, x += inverse) columns.push(bicubicTaps(x, image.width));
  const round = (sum: number) => (sum + (1 << (WEIGHT_SHIFT - 1))) >> WEIGHT_SHIFT;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    const row = bicubicTaps(inverse * y + 1.5, image.height);
    for (let x = 0; x < width; x += 1) {
      const column = columns[x];
      for (let c = 0; c < 3; c += 1) {
        let sum = 0;
        for (let j = 0; j < 4; j += 1) {
          const line = row.taps[j] * image.width;
          let across = 0;
          for (let i = 0; i < 4; i += 1) across += column.weights[i] * image.pixels[(line + column.taps[i]) * 3 + c];
          sum += row.weights[j] * round(across);
        }
        const value = round(sum);
        out[(y * width + x) * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return { width, height, pixels: out };
}

/**
 * `image` turned as EXIF `orientation` (1-8) says, which a browser does on decoding: 2-4 mirror or turn it
 * half round, 5-8 swap its sides (6 turns it a quarter clockwise, 8 anticlockwise).
 */
export function orient(image: RgbImage, orientation: number): RgbImage {
  const { width, height, pixels } = image;
  // Where output pixel (x, y) is found in the input, for orientations 2-8.
  const source = ([
    (x, y) => [width - 1 - x, y],
    (x, y) => [width - 1 - x, height - 1 - y],
    (x, y) => [x, height - 1 - y],
    (x, y) => [y, x],
    (x, y) => [y, height - 1 - x],
    (x, y) => [width - 1 - y, height - 1 - x],
    (x, y) => [width - 1 - y, x],
  ] as ((x: number, y: number) => [number, number])[])[orientation - 2];
  if (!source) return image;
  const outWidth = orientation >= 5 ? height : width;
  const outHeight = orientation >= 5 ? width : height;
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      const [sx, sy] = source(x, y);
      const at = (sy * width + sx) * 3;
      out.set(pixels.subarray(at, at + 3), (y * outWidth + x) * 3);
    }
  }
  return { width: outWidth, height: outHeight, pixels: out };
}

/** The orientation that undoes `orientation`: the quarter turns swap, the rest undo themselves. */
const UNDO_ORIENTATION = [1, 1, 2, 3, 4, 5, 8, 7, 6];

/**
 * The `size`×`size` RGB square the CLI stores for a decoded picture (`channels` 3 or 4 bytes a pixel, any alpha
 * already flattened): shrunk on load when it is a JPEG, reduced so that its shorter side is `size`, then the
 * centre cut out as sharp does, (excess + 1) / 2 from the top left. A picture the browser turned by its EXIF
 * `orientation` is turned back first and turned again after the resize, before the cut: sharp's order.
 */
export function storedSquare(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: number, size: number, jpeg: boolean, orientation = 1): Uint8Array {
  const asStored = orientation === 1 ? { pixels, width, height, channels } : { ...orient(boxShrink(pixels, width, height, channels, 1), UNDO_ORIENTATION[orientation] ?? 1), channels: 3 };
  const load = jpeg ? jpegLoadShrink(Math.min(width, height), size) : 1;
  const loaded = boxShrink(asStored.pixels, asStored.width, asStored.height, asStored.channels, load);
  const shrink = Math.min(loaded.width, loaded.height) / size;
  const resized = orient(shrink >= 1 ? vipsReduce(loaded, shrink) : enlarge(loaded, shrink), orientation);
  if (resized.width < size || resized.height < size) throw new Error(`the picture resized to ${resized.width}×${resized.height}, below ${size}×${size}`);
  const left = (resized.width - size + 1) >> 1;
  const top = (resized.height - size + 1) >> 1;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y += 1) out.set(resized.pixels.subarray(((top + y) * resized.width + left) * 3, ((top + y) * resized.width + left + size) * 3), y * size * 3);
  return out;
}
