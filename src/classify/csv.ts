import { WbcError } from '../util/errors.js';
import { predictionRow, predictionsHeader, SCHEME_COLUMNS, schemeFields } from './prediction-columns.js';
import type { Prediction } from './predictions.js';

/**
 * The per-image results: top-2 classes, review flag, out-of-scope score and flag (empty for models
 * without an out-of-scope check), one probability column per class, then the scheme's category and its confidence.
 */
export function predictionsCsv(predictions: readonly Prediction[], classes: readonly string[]): string {
  const rows = predictions.map((p) => {
    if (p.probabilities.length !== classes.length) {
      throw new WbcError(`prediction for "${p.file}" has ${p.probabilities.length} probabilities for ${classes.length} classes`);
    }
    return predictionRow(p, schemeFields(p));
  });
  return predictionsHeader(classes, SCHEME_COLUMNS) + rows.join('');
}

/**
 * A small RFC 4180 parser: quoted fields may hold commas, doubled quotes and line breaks; records end
 * in LF or CRLF, and a final line break does not start an empty record.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let recordStart = 0;
  const endField = (): void => {
    record.push(field);
    field = '';
  };
  const endRecord = (): void => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '') {
      // A quoted field: read to the closing quote, unescaping "" as ".
      i += 1;
      for (;;) {
        if (i >= text.length) throw new WbcError('CSV ends inside a quoted field');
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          field += '"';
          i += 2;
        } else {
          field += text[i];
          i += 1;
        }
      }
      i += 1;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new WbcError(`CSV has text after a closing quote at offset ${i}`);
      }
    } else if (c === ',') {
      endField();
      i += 1;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      endRecord();
      i += c === '\r' ? 2 : 1;
      recordStart = i;
    } else {
      field += c;
      i += 1;
    }
  }
  if (recordStart < text.length) endRecord();
  return records;
}
