import { WbcError } from '../util/errors';
import { builtInScheme, checkScheme, DEFAULT_SCHEME, type Scheme, type SchemeDefinition } from './scheme';
import { readSchemeFile } from './scheme-file';

/** `--scheme`: a built-in name, a scheme file's path, or (from the library) a definition. */
export type SchemeChoice = string | SchemeDefinition;

/** The scheme a run reports in, checked against the model's classes (and its non-white kinds, see checkScheme); `nine` when none is chosen. */
export function chooseScheme(choice: SchemeChoice | undefined, classes: readonly string[], nonWhiteKinds: readonly string[] = []): Scheme {
  const wanted = choice ?? DEFAULT_SCHEME;
  if (typeof wanted === 'string') {
    if (wanted === '') throw new WbcError('--scheme must be nine, grouped or a scheme file');
    return checkScheme(builtInScheme(wanted, classes) ?? readSchemeFile(wanted), classes, nonWhiteKinds);
  }
  if (wanted === null || typeof wanted !== 'object' || typeof wanted.name !== 'string' || !Array.isArray(wanted.categories)) {
    throw new WbcError('a scheme must be nine, grouped, a scheme file or { name, categories: [{ name, classes, loinc? }] }');
  }
  for (const category of wanted.categories) {
    if (category === null || typeof category !== 'object' || typeof category.name !== 'string' || !Array.isArray(category.classes)
      || !category.classes.every((name) => typeof name === 'string') || (category.loinc !== undefined && typeof category.loinc !== 'string')) {
      throw new WbcError(`scheme ${wanted.name}: each category must be { name, classes: [class names], loinc? }`);
    }
  }
  return checkScheme(wanted, classes, nonWhiteKinds);
}
