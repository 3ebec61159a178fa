import { printable, printableLines } from '../util/display';

/**
 * Everything the CLI prints goes through here: file and class names come from whoever made the images,
 * so their control characters are shown as escapes rather than sent to the terminal.
 */
export function printOut(text: string): void {
  process.stdout.write(`${printableLines(text)}\n`);
}

export function printErr(text: string): void {
  process.stderr.write(`${printableLines(text)}\n`);
}

/** The warnings of a run, one line each: a line break inside one is shown as \\n, not started. */
export function printWarnings(warnings: readonly string[], prefix = 'warning: '): void {
  for (const warning of warnings) process.stderr.write(`${prefix}${printable(warning)}\n`);
}
