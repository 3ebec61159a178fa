import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../../src/data/decode';
import { native } from '../../src/native/binding';
import { Rng } from '../../src/util/rng';
import { makeFuzzSeeds, mutate, runFuzzCase, type FuzzOutcome } from '../helpers/fuzz-images';
import { makeTempDir, pixelDifferences, withinNativeTolerance } from '../helpers/images';

/**
 * Whether the native JPEG decoder (which loadImages tries first) decoded the file. When it does, sharp must
 * decode it too, to the same pixels: the native path must never accept a file the sharp path refuses.
 */
async function decodedNatively(file: string, storedSize: number): Promise<boolean> {
  const pixels = Buffer.alloc(storedSize * storedSize * 3);
  const [reason] = await native().decodeJpegs([file], storedSize, pixels, 1);
  if (reason !== '') return false;
  const viaSharp = await decodeImage(file, storedSize).catch((error: unknown) => assert.fail(`decoded natively, refused by sharp: ${String(error)}`));
  const difference = pixelDifferences(pixels, viaSharp);
  assert.ok(withinNativeTolerance(difference), `native and sharp pixels differ: ${JSON.stringify(difference)}`);
  return true;
}

// A few seconds' worth in every test run; `node dist/research/fuzz.js --cases N` runs as many as wanted.
const CASES = 1500;

test(`the image loader decodes or refuses ${CASES} mutated JPEG, PNG and TIFF files, never crashing or hanging`, async () => {
  const dir = makeTempDir();
  const seeds = await makeFuzzSeeds();
  const rng = new Rng(2024);
  const outcomes: Record<FuzzOutcome | 'decodedNatively', number> = { decoded: 0, refused: 0, decodedNatively: 0 };
  for (let index = 0; index < CASES; index += 1) {
    const source = seeds[rng.int(seeds.length)];
    const file = path.join(dir, `case-${index}-${source.name}.${source.extension}`);
    const named = (error: unknown) => {
      throw new Error(`case ${index} (a mutated ${source.name} ${source.extension}): ${(error as Error).message}`);
    };
    // runFuzzCase rejects on a crash, failing the test with the case named.
    const outcome = await runFuzzCase(file, mutate(source.bytes, rng), 10_000).catch(named);
    outcomes[outcome] += 1;
    if (outcome === 'decoded' && (await decodedNatively(file, 16).catch(named))) outcomes.decodedNatively += 1;
  }
  // Mutations that were all refused at the first byte would test little; nor would a native path never taken.
  assert.ok(outcomes.decoded > CASES / 20 && outcomes.refused > CASES / 20 && outcomes.decodedNatively > CASES / 50, JSON.stringify(outcomes));
});
