import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { defaultCacheDir, PixelCache } from '../../src/data/pixel-cache';
import { makeTempDir, touch } from '../helpers/images';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((entry) => fs.statSync(path.join(dir, entry)).isFile())
    .sort();
}

describe('defaultCacheDir', () => {
  const saved = { WBC_CACHE_DIR: process.env.WBC_CACHE_DIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('prefers $WBC_CACHE_DIR, then $XDG_CACHE_HOME, then ~/.cache', () => {
    process.env.WBC_CACHE_DIR = '/tmp/wbc-cache';
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    assert.equal(defaultCacheDir(), '/tmp/wbc-cache');
    delete process.env.WBC_CACHE_DIR;
    assert.equal(defaultCacheDir(), '/tmp/xdg/wbc-classifier');
    delete process.env.XDG_CACHE_HOME;
    assert.equal(defaultCacheDir(), path.join(os.homedir(), '.cache', 'wbc-classifier'));
    process.env.XDG_CACHE_HOME = 'relative/xdg';
    assert.equal(defaultCacheDir(), path.join(os.homedir(), '.cache', 'wbc-classifier'));
  });
});

describe('PixelCache', () => {
  const size = 4;
  const pixels = Buffer.from(Array.from({ length: size * size * 3 }, (_, i) => (i * 7) % 256));

  it('returns the stored bytes, also to a new instance, from one file under <size>/<2 hex>/<hash>.rgb', () => {
    const dir = makeTempDir();
    const image = touch(path.join(dir, 'images', 'a.png'), 'image bytes');
    const cacheDir = path.join(dir, 'cache');
    const cache = new PixelCache(cacheDir);
    assert.equal(cache.get(image, size), undefined);
    cache.put(image, size, pixels);
    assert.deepEqual(cache.get(image, size), pixels);
    assert.deepEqual(new PixelCache(cacheDir).get(image, size), pixels);
    const entries = filesUnder(cacheDir);
    assert.equal(entries.length, 1);
    assert.match(entries[0], /^4\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.rgb$/);
    assert.equal(cache.warning, undefined);
  });

  it('misses for another stored size, a changed modification time or a changed file', () => {
    const dir = makeTempDir();
    const image = touch(path.join(dir, 'a.png'), 'image bytes');
    const cache = new PixelCache(path.join(dir, 'cache'));
    cache.put(image, size, pixels);
    assert.equal(cache.get(image, size + 1), undefined);
    assert.equal(cache.get(path.join(dir, 'other.png'), size), undefined);

    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(image, later, later);
    assert.equal(cache.get(image, size), undefined);

    cache.put(image, size, pixels);
    assert.deepEqual(cache.get(image, size), pixels);
    const { mtime } = fs.statSync(image);
    fs.writeFileSync(image, 'different image bytes');
    fs.utimesSync(image, mtime, mtime);
    assert.equal(cache.get(image, size), undefined);
  });

  it('ignores an entry of the wrong length', () => {
    const dir = makeTempDir();
    const image = touch(path.join(dir, 'a.png'), 'image bytes');
    const cacheDir = path.join(dir, 'cache');
    const cache = new PixelCache(cacheDir);
    cache.put(image, size, pixels);
    const [entry] = filesUnder(cacheDir);
    fs.writeFileSync(path.join(cacheDir, entry), pixels.subarray(0, 10));
    assert.equal(cache.get(image, size), undefined);
  });

  it('never throws when the cache cannot be written, and keeps one warning', () => {
    const dir = makeTempDir();
    const image = touch(path.join(dir, 'a.png'), 'image bytes');
    // A file where the cache folder should be cannot be written into, even by root.
    const blocked = touch(path.join(dir, 'blocked'), 'not a folder');
    const cache = new PixelCache(blocked);
    cache.put(image, size, pixels);
    cache.put(touch(path.join(dir, 'b.png'), 'more bytes'), size, pixels);
    assert.equal(cache.get(image, size), undefined);
    assert.match(cache.warning ?? '', /^pixel cache disabled: cannot write to .*blocked/);
  });
});
