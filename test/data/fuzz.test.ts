import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng';
import { makeFuzzSeeds, mutate, runFuzzCase, type FuzzOutcome } from '../helpers/fuzz-images';
import { makeTempDir } from '../helpers/images';

// A few seconds' worth in every test run; `node dist/bench/fuzz.js --cases N` runs as many as wanted.
const CASES = 1500;

test(`the image loader decodes or refuses ${CASES} mutated JPEG, PNG and TIFF files, never crashing or hanging`, async () => {
  const dir = makeTempDir();
  const seeds = await makeFuzzSeeds();
  const rng = new Rng(2024);
  const outcomes: Record<FuzzOutcome, number> = { decoded: 0, refused: 0 };
  for (let index = 0; index < CASES; index += 1) {
    const source = seeds[rng.int(seeds.length)];
    // runFuzzCase rejects on a crash, failing the test with the case named.
    const outcome = await runFuzzCase(path.join(dir, `case-${index}-${source.name}.${source.extension}`), mutate(source.bytes, rng), 10_000)
      .catch((error: unknown) => { throw new Error(`case ${index} (a mutated ${source.name} ${source.extension}): ${(error as Error).message}`); });
    outcomes[outcome] += 1;
  }
  // Mutations that were all refused at the first byte would test little.
  assert.ok(outcomes.decoded > CASES / 20 && outcomes.refused > CASES / 20, JSON.stringify(outcomes));
});
