/** The browser's half of the page's preprocessing; the worker uses it, and the browser test checks its pixels. */
import { exifOrientation } from '../exif-orientation.js';
import { storedSquare } from '../resize.js';

/** Enough of a file to hold its EXIF: a JPEG's APP1 segment comes first or after JFIF's APP0, each at most 64 KiB. */
const EXIF_WITHIN_BYTES = 2 * 65_538;

/**
 * Whether the file starts like a JPEG, whose decode sharp shrinks on load, and the EXIF orientation the
 * browser turned it by (resize.ts needs both).
 */
async function fileFacts(file: Blob): Promise<{ jpeg: boolean; orientation: number }> {
  const start = new Uint8Array(await file.slice(0, EXIF_WITHIN_BYTES).arrayBuffer());
  return { jpeg: start[0] === 0xff && start[1] === 0xd8 && start[2] === 0xff, orientation: exifOrientation(start) };
}

/**
 * The stored square the CLI makes of `file`: the browser decodes it at full size (turned by its EXIF
 * orientation, an embedded colour profile converted to sRGB as sharp does, alpha not premultiplied),
 * transparency goes on white, and resize.ts resizes it and cuts out the centre square the way sharp does
 * (which turns a picture after resizing it).
 */
export async function storedPixels(file: Blob, size: number): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { colorSpace: 'srgb', willReadFrequently: true });
  if (!context) throw new Error('no 2D canvas in this browser');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { jpeg, orientation } = await fileFacts(file);
  return storedSquare(context.getImageData(0, 0, width, height).data, width, height, 4, size, jpeg, orientation);
}
