import { printable } from './display.js';

/**
 * An error caused by the user's input or environment rather than by a bug.
 * The CLI prints its message as one line and exits non-zero, without a stack trace.
 */
export class WbcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WbcError';
  }
}

/** The message of any thrown value, on one line: line breaks and other control characters escaped. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return printable(text.trim());
}
