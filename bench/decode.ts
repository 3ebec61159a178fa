import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../src/data/decode';
import { loadImages } from '../src/data/load-images';
import type { PyTorchWorker } from './pytorch';
import { figure, note, pairedRatio, spread } from './report';

/** Images per second through decodeImage (sharp: decode, orient, centre square, Lanczos resize), `inFlight` at a time. */
export async function decodeWithSharp(files: string[], storedSize: number, inFlight: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) await decodeImage(files[next++], storedSize);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (files.length * 1000) / (performance.now() - started);
}

/** Images per second through loadImages with its defaults (native JPEG decoding), without the pixel cache. */
export async function decodeWithLoadImages(files: string[], storedSize: number): Promise<number> {
  const started = performance.now();
  await loadImages(files, storedSize);
  return (files.length * 1000) / (performance.now() - started);
}

/**
 * Decoding alone: loadImages (the product's path: native libjpeg-turbo on its default 4 threads) against PIL
 * with draft mode in as many threads (pytorch_reference.py decode_files), back to back in alternating order;
 * then sharp (decodeImage, the fallback path and the product's path before the native decoder) one at a time
 * and with 4 in flight, for reference.
 */
export async function benchmarkDecoding(files: string[], storedSize: number, pytorch: PyTorchWorker | undefined, scratch: string, repeats: number): Promise<void> {
  note(`decoding: ${repeats} repeats of ${files.length} JPEGs per variant, no pixel cache; sharp.concurrency=${sharp.concurrency()}`);
  const listFile = path.join(scratch, 'decode-files.txt');
  fs.writeFileSync(listFile, `${files.join('\n')}\n`);
  const runPil = async () => {
    const reply = await pytorch!.send(`decode_files ${listFile}`);
    return Number(reply.images) / Number(reply.seconds);
  };
  // File pages into the OS cache; libvips, the decoder threads and PIL warmed up.
  await decodeWithSharp(files.slice(0, 50), storedSize, 1);
  await decodeWithLoadImages(files, storedSize);
  if (pytorch) await runPil();
  const ours: number[] = [];
  const pil: number[] = [];
  const sharpSingle: number[] = [];
  const sharpFour: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    if (pytorch && repeat % 2 === 1) pil.push(await runPil());
    ours.push(await decodeWithLoadImages(files, storedSize));
    if (pytorch && repeat % 2 === 0) pil.push(await runPil());
    sharpSingle.push(await decodeWithSharp(files, storedSize, 1));
    sharpFour.push(await decodeWithSharp(files, storedSize, 4));
  }
  spread('decode_img_per_s_ours', ours);
  spread('decode_img_per_s_sharp_single', sharpSingle);
  spread('decode_img_per_s_sharp_c4', sharpFour);
  figure('decode_sharp_threads', sharp.concurrency());
  if (!pytorch) return;
  spread('decode_img_per_s_pil', pil);
  pairedRatio('decode_ratio_vs_pil', ours, pil);
}
