import { printable } from '../util/display';

/** A one-line progress display on a terminal; plain lines, at most one every few seconds, elsewhere. */
export class ProgressLine {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPlain = 0;
  private shown = false;

  update(raw: string): void {
    const text = printable(raw);
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.shown = true;
    } else if (Date.now() - this.lastPlain > 10_000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${text}\n`);
    }
  }

  /** Ends the progress line and prints `text` as a permanent line. */
  log(text: string): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
    process.stderr.write(`${printable(text)}\n`);
  }

  done(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function percent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)}%`;
}
