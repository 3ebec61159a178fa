import * as fs from 'node:fs';
import * as path from 'node:path';
import { WbcError } from './errors';
import { isSameOrInside, realPathOf } from './folders';

export interface OutputPath {
  path: string;
  /** How the user named it, for messages: `--out`, `--json`. */
  option: string;
  kind: 'file' | 'folder';
  /** Allowed file extensions, lower case with the dot. */
  extensions?: readonly string[];
}

export interface InputPath {
  path: string;
  /** What it is, for messages: `the model folder`. */
  what: string;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function requireWritableFolder(dir: string, output: OutputPath): void {
  const stats = statOrUndefined(dir);
  if (!stats) throw new WbcError(`${output.option} ${output.path}: the folder ${dir} does not exist`);
  if (!stats.isDirectory()) throw new WbcError(`${output.option} ${output.path}: ${dir} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new WbcError(`${output.option} ${output.path}: cannot write in ${dir}`);
  }
}

function nearestExisting(target: string): string {
  let current = path.resolve(target);
  while (!statOrUndefined(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function checkOne(output: OutputPath, real: string, inputs: readonly InputPath[]): void {
  const stats = statOrUndefined(output.path);
  if (output.kind === 'file') {
    const extension = path.extname(output.path).toLowerCase();
    if (output.extensions && !output.extensions.includes(extension)) {
      throw new WbcError(`${output.option} must name a ${output.extensions.join(' or ')} file, got '${output.path}'`);
    }
    if (stats?.isDirectory()) throw new WbcError(`${output.option} ${output.path} is a folder; name a file`);
    requireWritableFolder(path.dirname(path.resolve(output.path)), output);
  } else {
    if (stats && !stats.isDirectory()) throw new WbcError(`${output.option} ${output.path} exists and is not a folder`);
    requireWritableFolder(nearestExisting(output.path), output);
  }
  for (const input of inputs) {
    const inputReal = realPathOf(input.path);
    if (isSameOrInside(real, inputReal)) {
      throw new WbcError(`${output.option} ${output.path} is ${real === inputReal ? '' : 'inside '}${input.what} ${input.path}; write it somewhere else`);
    }
    if (output.kind === 'folder' && isSameOrInside(inputReal, real)) {
      throw new WbcError(`${output.option} ${output.path} would contain ${input.what} ${input.path}; choose a folder outside it`);
    }
  }
}

/**
 * Refuses, before any work, outputs that would land on the run's own inputs (links resolved), on each
 * other, or where they cannot be written; so that no command can overwrite a model, an image or its own
 * output, or fail only once the work is done.
 */
export function checkOutputPaths(outputs: readonly OutputPath[], inputs: readonly InputPath[]): void {
  const reals = outputs.map((output) => realPathOf(output.path));
  outputs.forEach((output, i) => {
    checkOne(output, reals[i], inputs);
    for (let j = 0; j < i; j += 1) {
      if (reals[j] === reals[i]) throw new WbcError(`${outputs[j].option} and ${output.option} name the same file (${output.path})`);
    }
  });
}
