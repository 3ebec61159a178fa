import { WbcError } from './errors';

/**
 * A few composable checks for JSON read from disk (model.json, a checkpoint's progress.json): each takes
 * the parsed value and where it sits (`input.mean[2]`) and throws a one-line WbcError naming that place.
 * They check and pass the value through; they do not transform it.
 */
export type Check<T> = (value: unknown, at: string) => T;

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

function fail(at: string, expected: string, value: unknown): never {
  throw new WbcError(`${at} must be ${expected}, got ${shown(value)}`);
}

export function integer(min: number, max: number): Check<number> {
  return (value, at) => (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? value : fail(at, `a whole number from ${min} to ${max}`, value));
}

/** A finite number in [min, max]; `aboveMin` excludes min itself. */
export function number(min: number, max: number, options: { aboveMin?: boolean } = {}): Check<number> {
  return (value, at) => {
    const ok = typeof value === 'number' && Number.isFinite(value) && (options.aboveMin ? value > min : value >= min) && value <= max;
    return ok ? value as number : fail(at, `a number ${options.aboveMin ? 'above' : 'from'} ${min} ${options.aboveMin ? 'and at most' : 'to'} ${max}`, value);
  };
}

export function text(options: { pattern?: RegExp; describe?: string } = {}): Check<string> {
  return (value, at) => (typeof value === 'string' && (!options.pattern || options.pattern.test(value))
    ? value : fail(at, options.describe ?? 'a text', value));
}

export const boolean: Check<boolean> = (value, at) => (typeof value === 'boolean' ? value : fail(at, 'true or false', value));

export function oneOf<T>(...allowed: T[]): Check<T> {
  return (value, at) => (allowed.includes(value as T) ? value as T : fail(at, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value));
}

export function list<T>(item: Check<T>, min = 0, max = Number.MAX_SAFE_INTEGER): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      return fail(at, min === max ? `a list of ${min}` : `a list of ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any number of' : max} items`, value);
    }
    value.forEach((element, i) => item(element, `${at}[${i}]`));
    return value as T[];
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function record<T>(item: Check<T>): Check<Record<string, T>> {
  return (value, at) => {
    if (!isObject(value)) return fail(at, 'an object', value);
    for (const [key, element] of Object.entries(value)) item(element, `${at}.${key}`);
    return value as Record<string, T>;
  };
}

/** Marks a field of `object` that may be absent. */
export function optional<T>(check: Check<T>): Check<T | undefined> & { optional: true } {
  const wrapped = (value: unknown, at: string) => (value === undefined ? undefined : check(value, at));
  return Object.assign(wrapped, { optional: true as const });
}

/** An object with these fields (others are let be, for newer writers); absent fields fail unless optional. */
export function object<T>(fields: { [K in keyof T]-?: Check<T[K]> }): Check<T> {
  return (value, at) => {
    if (!isObject(value)) return fail(at, 'an object', value);
    for (const [key, check] of Object.entries(fields) as [string, Check<unknown> & { optional?: true }][]) {
      const where = at ? `${at}.${key}` : key;
      if (!(key in value) && !check.optional) throw new WbcError(`${where} is missing`);
      check(value[key], where);
    }
    return value as T;
  };
}
