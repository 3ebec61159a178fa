import * as fs from 'node:fs';
import * as path from 'node:path';
import { WbcError } from '../util/errors';
import { readRegularFile } from '../util/safe-read';
import { list, object, optional, record, text } from '../util/schema';
import type { SchemeCategory, SchemeDefinition } from './scheme';

/** A scheme file is a few lines; anything far larger is not one. */
const MAX_SCHEME_BYTES = 1024 ** 2;

const classList = list(text(), 0, 1000);
const category = object<{ classes: string[]; loinc?: string }>({ classes: classList, loinc: optional(text()) });

/**
 * A lab's scheme from a JSON file: `{"categories": {"eosinophils": {"classes": ["eosinophils"],
 * "loinc": "26450-7"}, "lymphocytes": ["lymphocytes"], ...}}`; a category is its classes, or an object with
 * them and an optional LOINC code. Categories keep the file's order. Read errors and bad JSON are one
 * line naming the file; what the categories hold is checked against the model by checkScheme.
 */
export function readSchemeFile(file: string): SchemeDefinition {
  if (!fs.existsSync(file)) throw new WbcError(`no such scheme file: ${file} (built-in schemes: nine, grouped)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, MAX_SCHEME_BYTES).toString('utf8'));
  } catch (error) {
    if (error instanceof WbcError) throw error;
    throw new WbcError(`scheme file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const name = path.basename(file);
  try {
    const { categories } = object<{ categories: Record<string, unknown> }>({ categories: record((value) => value) })(raw, '');
    return {
      name,
      categories: Object.entries(categories).map(([key, value]): SchemeCategory => {
        const at = `categories.${key}`;
        if (Array.isArray(value)) return { name: key, classes: classList(value, at) };
        const parsed = category(value, at);
        return { name: key, classes: parsed.classes, ...(parsed.loinc !== undefined && { loinc: parsed.loinc }) };
      }),
    };
  } catch (error) {
    throw new WbcError(`scheme file ${file}: ${(error as Error).message}`);
  }
}
