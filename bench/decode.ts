import sharp from 'sharp';
import { decodeImage } from '../src/data/decode';
import { loadImages } from '../src/data/load-images';
import { figure, note, spread } from './report';

/** Images per second through decodeImage (sharp: decode, orient, centre square, Lanczos resize), one file at a time. */
export async function decodeOneAtATime(files: string[], storedSize: number): Promise<number> {
  const started = performance.now();
  for (const file of files) await decodeImage(file, storedSize);
  return (files.length * 1000) / (performance.now() - started);
}

/** Images per second through loadImages at the given concurrency, without the pixel cache. */
export async function decodeWithLoadImages(files: string[], storedSize: number, concurrency: number): Promise<number> {
  const started = performance.now();
  await loadImages(files, storedSize, { concurrency });
  return (files.length * 1000) / (performance.now() - started);
}

/**
 * decodeImage one file at a time against loadImages at 2 and at its default 4 images in flight, in rotating
 * order; sharp's own libvips threads work inside each image either way.
 */
export async function benchmarkDecoding(files: string[], storedSize: number, repeats: number): Promise<void> {
  note(`decoding: ${repeats} repeats of ${files.length} JPEGs per variant, no pixel cache; sharp.concurrency=${sharp.concurrency()}`);
  await decodeOneAtATime(files.slice(0, 50), storedSize); // file pages into the OS cache, libvips warmed up
  const variants: [string, () => Promise<number>][] = [
    ['decode_img_per_s_single', () => decodeOneAtATime(files, storedSize)],
    ['decode_img_per_s_loadimages_c2', () => decodeWithLoadImages(files, storedSize, 2)],
    ['decode_img_per_s_loadimages_c4', () => decodeWithLoadImages(files, storedSize, 4)],
  ];
  const rates = variants.map(() => [] as number[]);
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    for (let k = 0; k < variants.length; k += 1) {
      const v = (k + repeat) % variants.length;
      rates[v].push(await variants[v][1]());
    }
  }
  variants.forEach(([name], v) => spread(name, rates[v]));
  figure('decode_sharp_threads', sharp.concurrency());
}
