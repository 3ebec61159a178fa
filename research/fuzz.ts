/**
 * Fuzzes the image-loading path: random mutations of valid JPEG, PNG and TIFF files go through
 * loadImages, which must decode or refuse each one. A crash is an exception other than a WbcError,
 * a case that hangs, or the process dying; the input that caused it is kept for a regression test.
 *
 *   node dist/research/fuzz.js --cases N [--seed S] [--out DIR] [--timeout MS]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Rng } from '../src/util/rng';
import { makeFuzzSeeds, mutate, runFuzzCase } from '../test/helpers/fuzz-images';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { cases: { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' }, out: { type: 'string' }, timeout: { type: 'string', default: '20000' } },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  const timeoutMs = Number(values.timeout);
  if (!(Number.isInteger(cases) && cases > 0 && Number.isInteger(seed) && timeoutMs > 0)) {
    process.stderr.write('usage: node dist/research/fuzz.js --cases N [--seed S] [--out DIR] [--timeout MS]\n');
    return 2;
  }
  const out = path.resolve(values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wbc-fuzz-')));
  fs.mkdirSync(out, { recursive: true });
  sharp.cache(false);
  const seeds = await makeFuzzSeeds();
  const rng = new Rng(seed);
  const counts = { decoded: 0, refused: 0, crashed: 0 };
  const started = Date.now();
  process.stdout.write(`fuzzing ${cases} cases from ${seeds.length} seeds (seed ${seed}); if the process dies, the input that killed it is ${out}/current.*\n`);
  for (let index = 0; index < cases; index += 1) {
    const source = seeds[rng.int(seeds.length)];
    const bytes = mutate(source.bytes, rng);
    const file = path.join(out, `current.${source.extension}`);
    try {
      counts[await runFuzzCase(file, bytes, timeoutMs)] += 1;
    } catch (error) {
      counts.crashed += 1;
      const kept = path.join(out, `crash-${index}-${source.name}.${source.extension}`);
      fs.copyFileSync(file, kept);
      process.stdout.write(`case ${index} (${source.name}): ${(error as Error).message.split('\n')[0]}; input kept at ${kept}\n`);
    }
    fs.rmSync(file, { force: true });
    if ((index + 1) % 500 === 0) process.stdout.write(`${index + 1} cases, ${((Date.now() - started) / (index + 1)).toFixed(1)} ms each\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${cases} cases in ${seconds.toFixed(1)} s: ${counts.decoded} decoded, ${counts.refused} refused, ${counts.crashed} crashed\n`);
  return counts.crashed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; });
