import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DeviceChoice, PrecisionChoice } from '../native/runtime';
import type { ViewChoice } from '../trust/trust-model';
import { WbcError } from '../util/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

/** A one-line error that ends with the command's usage line. */
export function usageError(message: string, usage: string): WbcError {
  return new WbcError(`${message} (${usage.split('\n')[0].replace(/^Usage: /, 'usage: ')})`);
}

export interface ParsedArgs {
  positionals: string[];
  text(name: string): string | undefined;
  /** The values of an option declared with `multiple: true`, in order; empty when absent. */
  list(name: string): string[];
  flag(name: string): boolean;
}

/** util.parseArgs with its errors turned into one-line usage errors. */
export function parse(argv: string[], options: Options, usage: string): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError((error as Error).message.split('\n')[0], usage);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  return {
    positionals: parsed.positionals,
    text: (name) => values[name] as string | undefined,
    list: (name) => (values[name] as string[] | undefined) ?? [],
    flag: (name) => values[name] === true,
  };
}

export function positionals(values: string[], names: string[], usage: string): string[] {
  if (values.length !== names.length) {
    throw usageError(`expected ${names.map((n) => `<${n}>`).join(' ')}, got ${values.length} argument(s)`, usage);
  }
  return values;
}

/**
 * The command line only turns text into values; the library checks ranges and says what is allowed, so
 * the CLI and library users get the same checks.
 */
export function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number)) throw new WbcError(`--${name} must be a whole number, got '${value}'`);
  return number;
}

/** `--tta`: `auto` or a whole number (the library checks which counts a model has). */
export function viewChoice(value: string | undefined): ViewChoice | undefined {
  if (value === 'auto') return 'auto';
  return wholeNumber(value, 'tta') as ViewChoice | undefined;
}

export function decimal(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || Number.isNaN(number)) throw new WbcError(`--${name} must be a number, got '${value}'`);
  return number;
}

/** Options every command that runs the engine shares. */
export const RUNTIME_OPTIONS: Options = {
  device: { type: 'string' },
  threads: { type: 'string' },
  precision: { type: 'string' },
};

export function runtimeChoice(args: ParsedArgs) {
  return {
    device: args.text('device') as DeviceChoice | undefined,
    threads: wholeNumber(args.text('threads'), 'threads'),
    precision: args.text('precision') as PrecisionChoice | undefined,
  };
}

/** Options of the commands that cache decoded images. */
export const CACHE_OPTIONS: Options = {
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
};

/** Usage lines of the commands that score a labelled folder (evaluate, report). */
export const SCORING_USAGE = `  --tta auto|N         flips/turns averaged per image: 1, 2, 4 or 8, or auto (one view, all eight only
                       where it is not sure; the default where the model has it)
  --cache-dir DIR      reuse and keep decoded images here (default ~/.cache/wbc-classifier)
  --no-cache           decode every image afresh`;

/** The cache folder asked for: a path, null for none, undefined for the default. */
export function cacheChoice(args: ParsedArgs): string | null | undefined {
  return args.flag('no-cache') ? null : args.text('cache-dir');
}

export const RUNTIME_USAGE = `  --device auto|cpu|cuda   where to run (default auto: CUDA when this LibTorch has it)
  --threads N              CPU threads (default: all cores)
  --precision auto|fp32|bf16  arithmetic (default auto: bf16 where the CPU has bf16 instructions, else fp32)`;

/** Options of the commands that can run as one rank of a group (src/distributed). */
export const GROUP_OPTIONS: Options = {
  'world-size': { type: 'string' },
  rank: { type: 'string' },
  master: { type: 'string' },
  timeout: { type: 'string' },
};

export function groupChoice(args: ParsedArgs) {
  return {
    worldSize: wholeNumber(args.text('world-size'), 'world-size'),
    rank: wholeNumber(args.text('rank'), 'rank'),
    master: args.text('master'),
    timeoutSeconds: wholeNumber(args.text('timeout'), 'timeout'),
  };
}

/**
 * `--scheme` and the review target, shared by the commands that report answers, laid out with their
 * descriptions from `column` like the command's other options; `schemeNote` follows `--scheme`.
 */
export function schemeUsage(column: number, schemeNote?: string): string {
  const option = (name: string, lines: string[]) =>
    [`  ${name}`.padEnd(column - 2) + `  ${lines[0]}`, ...lines.slice(1).map((line) => ' '.repeat(column) + line)].join('\n');
  const scheme = [
    'the reporting scheme: nine (default, class by class), grouped (bands with',
    'neutrophils, metamyelocytes and myelocytes as immature granulocytes) or a JSON',
    'file of your own (docs/schemes.md); answers, review flags and counts follow it',
    ...(schemeNote === undefined ? [] : [schemeNote]),
  ];
  const target = [
    'the review target: at most F of accepted answers wrong (95% upper bound),',
    "fitted on the model's calibration scores (default: the model's, 0.02 unless",
    'trained otherwise)',
  ];
  return `${option('--scheme S', scheme)}\n${option('--max-accepted-error F', target)}`;
}
