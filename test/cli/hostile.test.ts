import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { assertCleanFailure, hasStackTrace, startWbc, wbc, wbcWithoutPermissionOverride, type CliResult } from '../helpers/cli';
import { makeLabelledFolder, makeTempDir, touch } from '../helpers/images';

// One item of issue 8's "Why" per test: a careless or hostile use, and the safe outcome asserted.
const QUICK = ['--size', '16', '--width', '4', '--epochs', '2', '--no-cache', '--tta', '1', '--threads', '1'];

/** Every file under `dir` with its content, to show that nothing in it changed. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.lstatSync(file).isFile()) files.set(name, fs.readFileSync(file).toString('base64'));
  }
  return files;
}

/** A clean failure that came at once, before any image was read. */
function assertRefusedBeforeWork(result: CliResult, pattern: RegExp): void {
  assertCleanFailure(result, pattern);
  assert.doesNotMatch(result.stderr, /reading images|read \d+ images|epoch/);
}

describe('hostile use: no data lost, no silent garbage, refusals before work, no crash, no hang', () => {
  const work = makeTempDir();
  const data = path.join(work, 'data');
  const model = path.join(work, 'model');

  before(async () => {
    await makeLabelledFolder(data);
    const trained = wbc(['train', data, '--out', model, ...QUICK]);
    assert.equal(trained.status, 0, trained.stderr);
  });

  describe('1. outputs never land on inputs', () => {
    test('split through a link to the data cannot delete the folder that holds the data', () => {
      const holder = path.join(work, 'holder');
      fs.cpSync(data, path.join(holder, 'data'), { recursive: true });
      const link = path.join(work, 'link');
      fs.symlinkSync(path.join(holder, 'data'), link);
      const before = snapshot(holder);
      assertCleanFailure(wbc(['split', link, '--out', holder, '--force']), /overlaps the image folder/);
      assertCleanFailure(wbc(['split', link, '--out', path.join(holder, 'data', 'red'), '--force']), /overlaps the image folder/);
      assert.deepEqual(snapshot(holder), before);
    });

    test('evaluate cannot write its scores or picture into the model folder or the data', () => {
      const modelBefore = snapshot(model);
      const dataBefore = snapshot(data);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(model, 'model.json')]), /is inside the model folder/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(model, 'weights.pt')]), /--json must name a \.json file/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(data, 'red', 'scores.json')]), /is inside the image folder/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--confusion', path.join(data, 'red', 'x.png')]), /is inside the image folder/);
      const linkToModel = path.join(work, 'model-link');
      fs.symlinkSync(model, linkToModel);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(linkToModel, 'model.json')]), /is inside the model folder/);
      assert.deepEqual(snapshot(model), modelBefore);
      assert.deepEqual(snapshot(data), dataBefore);
    });

    test('classify and train cannot write over the model or into the images', () => {
      assertRefusedBeforeWork(wbc(['classify', model, path.join(data, 'red'), '--out', path.join(data, 'red', 'p.csv')]), /is inside the image folder/);
      assertRefusedBeforeWork(wbc(['classify', model, path.join(data, 'red'), '--out', path.join(model, 'p.csv')]), /is inside the model folder/);
      assertRefusedBeforeWork(wbc(['train', data, '--out', path.join(data, 'model'), ...QUICK]), /is inside the image folder/);
      assertRefusedBeforeWork(wbc(['train', data, '--out', work, '--force', ...QUICK]), /would contain the image folder/);
      assertRefusedBeforeWork(wbc(['train', data, '--out', path.join(work, 'm-conf'), '--confusion', path.join(work, 'm-conf', 'model.json'), ...QUICK]), /--confusion must name a \.svg or \.png file/);
      assert.ok(!fs.existsSync(path.join(data, 'model')));
    });
  });

  describe('2. no silent garbage', () => {
    test('a learning rate that would diverge is refused before any work, and leaves nothing behind', () => {
      const out = path.join(work, 'diverging');
      assertRefusedBeforeWork(wbc(['train', data, '--out', out, ...QUICK, '--lr', '1e6']), /--lr must be a number above 0 and at most 1, got 1000000/);
      assert.ok(!fs.existsSync(out));
    });

    for (const [what, edit, pattern] of [
      ['std of zero', (info: Record<string, any>) => { info.input.std = [0, 0, 0]; }, /input\.std\[0\] must be a number above 0/],
      ['classes that disagree with the network', (info: Record<string, any>) => { info.classes = ['blue', 'green']; }, /network\.classes is 3 but classes lists 2/],
      ['a class named twice', (info: Record<string, any>) => { info.classes = ['blue', 'blue', 'red']; }, /classes names a class twice/],
      ['a review threshold of null', (info: Record<string, any>) => { info.reviewThreshold = null; }, /reviewThreshold must be a number from 0 to 1, got null/],
      ['the weights hash removed', (info: Record<string, any>) => { delete info.weightsSha256; }, /weightsSha256 is missing/],
    ] as const) {
      test(`a model.json with ${what} is refused naming the field`, () => {
        const copy = path.join(work, `edited-${what.replace(/\W+/g, '-')}`);
        fs.cpSync(model, copy, { recursive: true });
        const info = JSON.parse(fs.readFileSync(path.join(copy, 'model.json'), 'utf8'));
        edit(info);
        fs.writeFileSync(path.join(copy, 'model.json'), JSON.stringify(info));
        for (const args of [['classify', copy, path.join(data, 'red'), '--out', path.join(work, 'x.csv')], ['info', copy]]) {
          assertCleanFailure(wbc(args), pattern);
        }
      });
    }
  });

  describe('3. nothing fails after the work', () => {
    test('unwritable or clashing outputs and bad values are refused at once', () => {
      const red = path.join(data, 'red');
      assertRefusedBeforeWork(wbc(['classify', model, red, '--out', path.join(work, 'nodir', 'x.csv')]), /does not exist/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(work, 'nodir', 's.json')]), /does not exist/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--confusion', path.join(work, 'c.jpg')]), /--confusion must name a \.svg or \.png file/);
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--json', path.join(work, 'same.json'), '--confusion', path.join(work, 'same.json')]), /--confusion must name a \.svg or \.png file/);
      const readOnly = path.join(work, 'read-only');
      fs.mkdirSync(readOnly);
      fs.chmodSync(readOnly, 0o555);
      assertRefusedBeforeWork(wbcWithoutPermissionOverride(['classify', model, red, '--out', path.join(readOnly, 'x.csv')]), /cannot write in/);
      const out = path.join(work, 'smoothing');
      assertRefusedBeforeWork(wbc(['train', data, '--out', out, ...QUICK, '--label-smoothing', '5']), /--label-smoothing must be a number at least 0 and below 1, got 5/);
      assertRefusedBeforeWork(wbc(['train', data, '--out', out, ...QUICK, '--lr', '1e300']), /--lr must be a number/);
      assert.ok(!fs.existsSync(out), 'no checkpoint left to block the corrected rerun');
      const corrected = wbc(['train', data, '--out', out, ...QUICK]);
      assert.equal(corrected.status, 0, corrected.stderr);
    });
  });

  describe('4. no internal errors', () => {
    test('an absurd network width is refused in one line', () => {
      assertRefusedBeforeWork(wbc(['train', data, '--out', path.join(work, 'wide'), ...QUICK, '--width', '100000']), /--width must be a whole number from 1 to 192, got 100000/);
    });

    for (const [field, edit, pattern] of [
      ['inputSize 0', (info: Record<string, any>) => { info.input.inputSize = 0; }, /input\.inputSize must be a whole number from 8 to 1024, got 0/],
      ['inputSize 100000', (info: Record<string, any>) => { info.input.inputSize = 100000; }, /input\.inputSize must be a whole number/],
      ['convsPerStage 0', (info: Record<string, any>) => { info.network.convsPerStage = 0; }, /network\.convsPerStage must be/],
      ['dropout 5', (info: Record<string, any>) => { info.network.dropout = 5; }, /network\.dropout must be a number from 0 to 1, got 5/],
      ['no classes', (info: Record<string, any>) => { delete info.classes; }, /classes is missing/],
      ['no input', (info: Record<string, any>) => { delete info.input; }, /input is missing/],
      ['no network', (info: Record<string, any>) => { delete info.network; }, /network is missing/],
      ['mean null', (info: Record<string, any>) => { info.input.mean = null; }, /input\.mean must be a list of 3, got null/],
      ['testTimeViews 3', (info: Record<string, any>) => { info.testTimeViews = 3; }, /testTimeViews must be one of 1, 2, 4, 8, got 3/],
    ] as const) {
      test(`model.json with ${field}: one line naming the field`, () => {
        const copy = path.join(work, `field-${field.replace(/\W+/g, '-')}`);
        fs.cpSync(model, copy, { recursive: true });
        const info = JSON.parse(fs.readFileSync(path.join(copy, 'model.json'), 'utf8'));
        edit(info);
        fs.writeFileSync(path.join(copy, 'model.json'), JSON.stringify(info));
        const result = wbc(['classify', copy, path.join(data, 'red'), '--out', path.join(work, 'f.csv')]);
        assertCleanFailure(result, pattern);
        assert.doesNotMatch(result.stderr, /unexpected error/);
      });
    }

    test('info describes a model whose record of training is missing', () => {
      const copy = path.join(work, 'bare-record');
      fs.cpSync(model, copy, { recursive: true });
      const info = JSON.parse(fs.readFileSync(path.join(copy, 'model.json'), 'utf8'));
      for (const key of ['testMetrics', 'split', 'data', 'training']) delete info[key];
      fs.writeFileSync(path.join(copy, 'model.json'), JSON.stringify(info));
      const result = wbc(['info', copy]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /test scores: +not recorded in this model/);
      assertCleanFailure(wbc(['evaluate', copy, data, '--split', 'test']), /does not record its split/);
    });
  });

  describe('5. no hangs, no runaway resources', () => {
    test('thread counts beyond the machine are lowered with a warning', () => {
      for (const threads of ['1000', '100000']) {
        const started = Date.now();
        const result = wbc(['classify', model, path.join(data, 'red'), '--out', path.join(work, `t${threads}.csv`), '--threads', threads]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, new RegExp(`warning: --threads ${threads} is more than the \\d+ cores here; using \\d+`));
        assert.ok(Date.now() - started < 60_000);
      }
    });

    test('a cache folder that cannot be made fails at once', () => {
      const started = Date.now();
      assertRefusedBeforeWork(wbc(['evaluate', model, data, '--cache-dir', '/proc/nope']), /cannot use the cache folder \/proc\/nope/);
      assert.ok(Date.now() - started < 30_000, 'no endless loop');
    });

    test('weights.pt as a FIFO, a link to /dev/zero or a folder is refused without hanging', () => {
      const cases: [string, (file: string) => void][] = [
        ['fifo', (file) => execFileSync('mkfifo', [file])],
        ['dev-zero', (file) => fs.symlinkSync('/dev/zero', file)],
        ['folder', (file) => fs.mkdirSync(file)],
      ];
      for (const [name, make] of cases) {
        const copy = path.join(work, `weights-${name}`);
        fs.cpSync(model, copy, { recursive: true });
        fs.rmSync(path.join(copy, 'weights.pt'));
        make(path.join(copy, 'weights.pt'));
        const started = Date.now();
        assertCleanFailure(wbc(['classify', copy, path.join(data, 'red'), '--out', path.join(work, 'w.csv')]), /weights\.pt is not a regular file/);
        assert.ok(Date.now() - started < 30_000);
      }
    });
  });

  describe('6. no leftovers, no forged log lines', () => {
    test('Ctrl-C during split removes its partial copy, and a copy a kill left is removed by the next run', async () => {
      const many = path.join(work, 'many');
      for (const name of ['a', 'b']) {
        fs.mkdirSync(path.join(many, name), { recursive: true });
        for (let i = 0; i < 4000; i += 1) fs.writeFileSync(path.join(many, name, `${i}.png`), Buffer.alloc(2048, i));
      }
      const out = path.join(work, 'many-split');
      const run = startWbc(['split', many, '--out', out]);
      let stderr = '';
      await new Promise<void>((resolve) => run.child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/copying/.test(stderr)) resolve();
      }));
      run.child.kill('SIGINT');
      const ended = await run.finished;
      assert.equal(ended.signal, 'SIGINT', `the run ended by the signal, not by finishing first (status ${ended.status})`);
      const siblings = () => fs.readdirSync(work).filter((name) => name.startsWith('many-split'));
      assert.deepEqual(siblings(), []);

      const stale = path.join(work, 'many-split.partial-999999999');
      touch(path.join(stale, 'train', 'a', '0.png'), 'left by a killed run');
      const again = wbc(['split', many, '--out', out]);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(siblings(), ['many-split']);
    });

    test('file names with line breaks or escape sequences cannot forge lines or drive the terminal', () => {
      const images = path.join(work, 'evil');
      fs.cpSync(path.join(data, 'red'), images, { recursive: true });
      touch(path.join(images, 'x\nskipped: forged.png'));
      touch(path.join(images, 'bell\u0007\u001b[31mred.png'));
      const result = wbc(['classify', model, images, '--out', path.join(work, 'evil.csv')]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(!result.stderr.split('\n').some((line) => line.startsWith('skipped: forged')), result.stderr);
      assert.match(result.stderr, /x\\nskipped: forged\.png: empty file/);
      assert.match(result.stderr, /bell\\x07\\x1b\[31mred\.png/);
      assert.ok(!/[\u0007\u001b]/.test(result.stderr));
      assert.ok(!hasStackTrace(result.stderr));
    });
  });

  describe('7. one trainer per model folder', () => {
    test('a second trainer is refused at once; a stale lock is taken over with a message', async () => {
      const out = path.join(work, 'locked');
      const slow = ['--size', '16', '--width', '4', '--epochs', '400', '--no-cache', '--tta', '1', '--threads', '1'];
      const first = startWbc(['train', data, '--out', out, ...slow]);
      const lock = path.join(out, '.wbc-train.lock');
      while (!fs.existsSync(lock) || !fs.existsSync(path.join(out, 'checkpoint', 'progress.json'))) await new Promise((r) => setTimeout(r, 100));
      for (const extra of [['--resume'], ['--force']]) {
        const started = Date.now();
        assertCleanFailure(wbc(['train', data, '--out', out, ...slow, ...extra]), /another wbc train \(process \d+, since .*\) is writing/);
        assert.ok(Date.now() - started < 30_000);
      }
      first.child.kill('SIGKILL');
      await first.finished;
      assert.ok(fs.existsSync(lock), 'a killed trainer leaves its lock');
      const resumed = wbc(['train', data, '--out', out, ...slow, '--resume', '--epochs', '400']);
      // The resumed run must match the interrupted one's options, so it trains the remaining epochs; it takes over the lock first.
      assert.match(resumed.stderr, /took over the lock of an earlier wbc train .* that is no longer running \(process \d+\)/);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.ok(!fs.existsSync(lock), 'the lock is released at the end');
    });
  });
});
