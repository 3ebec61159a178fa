/**
 * Text as it may safely reach a terminal or a log: control characters (line breaks, escape sequences,
 * and the like) are shown as escapes, so that a file or class name can neither forge an extra line
 * (`skipped: …`) nor drive the terminal.
 */
export function printable(text: string): string {
  // C0 controls, DEL, C1 controls, and Unicode's line/paragraph separators and bidirectional overrides.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}

/** printable() applied to each line of a block of text, keeping the block's own line breaks. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
