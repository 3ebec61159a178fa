import { WbcError } from '../util/errors.js';

/**
 * A reporting scheme: the categories a laboratory reports, each a set of the model's classes. One trained
 * model serves every scheme, since a category's probability is the sum of its classes' calibrated ones.
 */
export interface SchemeCategory {
  name: string;
  classes: string[];
  /** The LOINC code the lab reports the category under, e.g. `26499-4`; absent when it has none. */
  loinc?: string;
}

export interface SchemeDefinition {
  name: string;
  categories: SchemeCategory[];
}

/** A scheme checked against a model's classes, with each class's category looked up once. */
export interface Scheme extends SchemeDefinition {
  /** The category index of each of the model's classes, in the model's class order. */
  categoryOfClass: Int32Array;
  /** Each category is one class: the class-level answers, thresholds and figures are the scheme's. */
  identity: boolean;
  /** Per category: it holds the model's non-white kinds (models trained with --non-white), counted apart from the white cells. */
  nonWhite: boolean[];
}

export const BUILT_IN_SCHEMES = ['nine', 'grouped'] as const;
export const DEFAULT_SCHEME = 'nine';

/**
 * LOINC codes (per 100 leukocytes in blood, no method) of the model's classes, as LOINC's Manual Differential
 * panel 24318-8 lists them; only codes with a source (docs/fhir.md cites each). The `neutrophils` class is
 * segmented neutrophils. Other categories have none: a lab's scheme file can give its own.
 */
const LOINC_OF_CLASS: Readonly<Record<string, string>> = {
  basophils: '30180-4',
  blasts: '26446-5',
  eosinophils: '26450-7',
  neutrophils: '26505-8',
  bands: '26508-2',
  lymphocytes: '26478-8',
  monocytes: '26485-3',
  metamyelocytes: '28541-1',
  myelocytes: '26498-6',
  promyelocytes: '26524-9',
};

/** `grouped` names segmented + band neutrophils `neutrophils`: LOINC's Neutrophils/100 leukocytes in Blood. */
const LOINC_OF_GROUPED_CATEGORY: Readonly<Record<string, string>> = { ...LOINC_OF_CLASS, neutrophils: '26511-6' };

function withLoinc(category: SchemeCategory, codes: Readonly<Record<string, string>>): SchemeCategory {
  const loinc = codes[category.name];
  return loinc === undefined ? category : { ...category, loinc };
}

/** What most labs report (issue 22): bands with segmented neutrophils, metamyelocytes and myelocytes as immature granulocytes. */
const GROUPED: SchemeDefinition = {
  name: 'grouped',
  categories: [
    { name: 'neutrophils', classes: ['neutrophils', 'bands'] },
    { name: 'immature granulocytes', classes: ['metamyelocytes', 'myelocytes'] },
    { name: 'lymphocytes', classes: ['lymphocytes'] },
    { name: 'monocytes', classes: ['monocytes'] },
    { name: 'eosinophils', classes: ['eosinophils'] },
    { name: 'basophils', classes: ['basophils'] },
    { name: 'blasts', classes: ['blasts'] },
  ].map((category) => withLoinc(category, LOINC_OF_GROUPED_CATEGORY)),
};

/** `nine`: one category per class of the model (whatever its classes), named after the class. */
function classByClass(classes: readonly string[]): SchemeDefinition {
  return { name: 'nine', categories: classes.map((name) => withLoinc({ name, classes: [name] }, LOINC_OF_CLASS)) };
}

/** A built-in scheme for a model with these classes, or undefined when `name` is not built in. */
export function builtInScheme(name: string, classes: readonly string[]): SchemeDefinition | undefined {
  if (name === 'nine') return classByClass(classes);
  if (name === 'grouped') return GROUPED;
  return undefined;
}

/** A LOINC code: up to seven digits, a hyphen and a check digit. */
const LOINC = /^\d{1,7}-\d$/;

/**
 * The scheme with a category of its own, after the scheme's, for each of the model's non-white kinds that
 * none lists: a scheme written for the white classes (grouped, a lab's file) serves a model with kinds too.
 */
function withNonWhiteKinds(definition: SchemeDefinition, nonWhite: readonly string[]): SchemeDefinition {
  const listed = new Set(definition.categories.flatMap((category) => category.classes));
  const unlisted = nonWhite.filter((kind) => !listed.has(kind));
  if (unlisted.length === 0) return definition;
  return { ...definition, categories: [...definition.categories, ...unlisted.map((kind) => ({ name: kind, classes: [kind] }))] };
}

/**
 * Checks a scheme against the model's classes, with a one-line error for the first problem: an empty
 * category, a category named twice, a class the model does not know, a class in two categories or in none,
 * a category mixing white classes with non-white kinds, a malformed LOINC code. Non-white kinds the scheme
 * does not list get a category each.
 */
export function checkScheme(given: SchemeDefinition, classes: readonly string[], nonWhiteKinds: readonly string[] = []): Scheme {
  const definition = withNonWhiteKinds(given, nonWhiteKinds);
  const where = `scheme ${definition.name}`;
  if (definition.categories.length === 0) throw new WbcError(`${where} has no categories`);
  const categoryOfClass = new Int32Array(classes.length).fill(-1);
  const names = new Set<string>();
  definition.categories.forEach((category, index) => {
    if (names.has(category.name)) throw new WbcError(`${where} names category "${category.name}" twice`);
    names.add(category.name);
    if (category.classes.length === 0) throw new WbcError(`${where}: category "${category.name}" has no classes`);
    if (category.loinc !== undefined && !LOINC.test(category.loinc)) {
      throw new WbcError(`${where}: category "${category.name}" has LOINC code "${category.loinc}", not of the form 12345-6`);
    }
    for (const name of category.classes) {
      const c = classes.indexOf(name);
      if (c < 0) throw new WbcError(`${where}: category "${category.name}" lists "${name}", which is not one of the model's classes (${classes.join(', ')})`);
      if (categoryOfClass[c] >= 0) {
        throw new WbcError(`${where}: class "${name}" is in two categories, "${definition.categories[categoryOfClass[c]].name}" and "${category.name}"`);
      }
      categoryOfClass[c] = index;
    }
  });
  const nonWhite = definition.categories.map((category) => {
    const kinds = category.classes.filter((name) => nonWhiteKinds.includes(name)).length;
    if (kinds > 0 && kinds < category.classes.length) throw new WbcError(`${where}: category "${category.name}" mixes white classes with non-white kinds (${nonWhiteKinds.join(', ')}), which are never counted as white cells`);
    return kinds > 0;
  });
  const missing = classes.filter((_, c) => categoryOfClass[c] < 0);
  if (missing.length) throw new WbcError(`${where}: ${missing.map((name) => `"${name}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} in no category; every class of the model must be in one`);
  return {
    ...definition,
    categoryOfClass,
    nonWhite,
    identity: definition.categories.every((category, index) => category.classes.length === 1 && category.classes[0] === classes[index]),
  };
}
