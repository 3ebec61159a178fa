/**
 * Writing CSV: the one place that turns values into CSV fields, for the CLI, the review app and the
 * exported page. No imports: the page compiles this file too (tsconfig.web.json).
 */

/**
 * A field a spreadsheet would run as a formula: its first non-blank character is = + - @, a tab, a
 * carriage return or a NUL (OWASP ASVS 5.0, requirement 1.2.10), or the full-width ＝ ＋ － ＠, which
 * spreadsheet programs also accept. Leading blanks do not help: ` =1+1` is still evaluated.
 */
const FORMULA_START = /^\s*[=+\-@\t\r\0\uff1d\uff0b\uff0d\uff20]/;
/** A plain decimal number (`-0.25`, `12`): a spreadsheet reads it as that number, never as a formula. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field. File, class and reviewer names come from whoever supplied them, so a field that would
 * start a formula gets an apostrophe first, which spreadsheets show as text: `=HYPERLINK(...)` must not
 * run when a clinician opens the results. Every field is guarded, whatever its column, except a plain
 * decimal number, which cannot carry a formula and stays a number (so a negative value reads as one).
 * Then RFC 4180 quoting.
 */
export function csvField(text: string): string {
  const guarded = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** One CSV line (with its `\n`) from raw field values. */
export function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}
