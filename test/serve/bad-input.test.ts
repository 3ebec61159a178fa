import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { assertCleanFailure, wbc } from '../helpers/cli';
import { makeTempDir, touch } from '../helpers/images';

test('wbc serve refuses bad use with one line, before starting anything', () => {
  const dir = makeTempDir();
  const images = path.join(dir, 'images');
  fs.mkdirSync(images);
  const notModel = path.join(dir, 'not-a-model');
  fs.mkdirSync(notModel);
  assertCleanFailure(wbc(['serve']), /expected <model-dir> <image-dir>/);
  assertCleanFailure(wbc(['serve', notModel, images]), /not a model folder/);
  assertCleanFailure(wbc(['serve', notModel, images, '--port', '70000']), /--port must be a whole number from 0 to 65535/);
  assertCleanFailure(wbc(['serve', notModel, images, '--port', 'http']), /--port must be a whole number/);
  assertCleanFailure(wbc(['serve', notModel, images, '--token', 'short']), /the token must be 16 to 256/);
  assertCleanFailure(wbc(['serve', notModel, touch(path.join(dir, 'file.txt'))]), /not a model folder|is not a folder/);
  assertCleanFailure(wbc(['report', notModel, '--out', path.join(dir, 'r.txt')]), /--out must name a \.html or \.htm file/);
});
