import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { removeLeftoverTemporaries, replaceFileAtomic, temporaryPathFor, writeFileAtomic, TEMPORARY_SUFFIX } from '../../src/util/atomic-write';
import { makeTempDir } from '../helpers/images';

describe('atomic writes', () => {
  const dir = makeTempDir();

  it('replaces the content and leaves no temporary file', () => {
    const file = path.join(dir, 'a.txt');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'new');
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(dir).filter((name) => name.endsWith(TEMPORARY_SUFFIX)), []);
  });

  it('keeps the old content, and no temporary file, when writing fails half-way', () => {
    const file = path.join(dir, 'b.txt');
    writeFileAtomic(file, 'complete');
    assert.throws(() => replaceFileAtomic(file, (temporary) => {
      fs.writeFileSync(temporary, 'half');
      throw new Error('disk full');
    }), /disk full/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'complete');
    assert.deepEqual(fs.readdirSync(dir).filter((name) => name.startsWith('.b.txt')), []);
  });

  it('gives each write its own hidden temporary name beside the target', () => {
    const target = path.join(dir, 'c.csv');
    const first = temporaryPathFor(target);
    const second = temporaryPathFor(target);
    assert.notEqual(first, second);
    for (const temporary of [first, second]) {
      assert.equal(path.dirname(temporary), dir);
      assert.match(path.basename(temporary), new RegExp(`^\\.c\\.csv\\.${process.pid}\\.\\d+\\${TEMPORARY_SUFFIX}$`));
    }
  });
});

describe('removeLeftoverTemporaries', () => {
  it('removes what dead writers left and keeps live writers\' files and everything else', () => {
    const dir = makeTempDir();
    const deadPid = 2 ** 22 + 1; // above Linux's largest pid, so no process has it
    const names = [`.weights.pt.${deadPid}.3.tmp`, `.model.json.${process.pid}.1.tmp`, 'model.json', 'notes.tmp', '.hidden'];
    for (const name of names) fs.writeFileSync(path.join(dir, name), 'x');
    removeLeftoverTemporaries(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), names.slice(1).sort());
  });
});
