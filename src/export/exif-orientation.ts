/**
 * The EXIF orientation (1-8) that a browser turns a picture by on decoding: a JPEG's, from its APP1 segment,
 * or a PNG's, from its eXIf chunk (Chromium ignores a WebP's). The page needs it to resize a turned picture
 * before turning it, as sharp does (resize.ts). 1 (as stored) when there is none or it is not 1-8.
 * No imports: the page compiles this file too.
 */
export function exifOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 4 && view.getUint16(0) === 0xffd8) return jpegOrientation(bytes, view);
  if (bytes.length >= 8 && view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a) return pngOrientation(bytes, view);
  return 1;
}

/** Segments up to the first scan: a marker (2 bytes), then a length that counts itself. */
function jpegOrientation(bytes: Uint8Array, view: DataView): number {
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff;) {
    const marker = bytes[at + 1];
    const length = view.getUint16(at + 2);
    if (marker === 0xda || length < 2) return 1;
    if (marker === 0xe1 && length >= 8 && String.fromCharCode(...bytes.subarray(at + 4, at + 10)) === 'Exif\0\0') {
      return tiffOrientation(view, at + 10, Math.min(at + 2 + length, bytes.length));
    }
    at += 2 + length;
  }
  return 1;
}

/** Chunks up to the image data: length (4 bytes), type (4), data, CRC (4). */
function pngOrientation(bytes: Uint8Array, view: DataView): number {
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT') return 1;
    if (type === 'eXIf') return tiffOrientation(view, at + 8, Math.min(at + 8 + length, bytes.length));
    at += 12 + length;
  }
  return 1;
}

/** Tag 0x0112 of the first IFD of the TIFF structure in view[start, end). */
function tiffOrientation(view: DataView, start: number, end: number): number {
  if (end - start < 8) return 1;
  const order = view.getUint16(start);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  const ifd = start + view.getUint32(start + 4, little);
  if (ifd + 2 > end) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i += 1) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const value = view.getUint16(entry + 8, little);
    return view.getUint16(entry + 2, little) === 3 && value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
