import { WbcError } from './errors';

/**
 * Argument checks shared by the library's entry points. Each names the option as the command line spells
 * it (`--size`), since that is how most users meet it, and says what was given.
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WbcError(`${name} must be a whole number from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

export interface NumberRange {
  min: number;
  max: number;
  /** Whether min and max themselves are allowed (default: both). */
  minInclusive?: boolean;
  maxInclusive?: boolean;
}

function describeRange({ min, max, minInclusive = true, maxInclusive = true }: NumberRange): string {
  if (minInclusive && maxInclusive) return `from ${min} to ${max}`;
  return `${minInclusive ? 'at least' : 'above'} ${min} and ${maxInclusive ? 'at most' : 'below'} ${max}`;
}

export function checkNumber(name: string, value: unknown, range: NumberRange): number {
  const { min, max, minInclusive = true, maxInclusive = true } = range;
  const inRange = typeof value === 'number' && Number.isFinite(value)
    && (minInclusive ? value >= min : value > min) && (maxInclusive ? value <= max : value < max);
  if (!inRange) throw new WbcError(`${name} must be a number ${describeRange(range)}, got ${shown(value)}`);
  return value as number;
}

export function checkOneOf<T>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new WbcError(`${name} must be one of ${allowed.join(', ')}, got ${shown(value)}`);
  return value as T;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new WbcError(`${name} must be a non-empty text, got ${shown(value)}`);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new WbcError(`${name} must be true or false, got ${shown(value)}`);
  return value;
}

/** Runs `check` on the value when it is given; undefined stays undefined (the default applies). */
export function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}
