import { checkInteger, checkNumber, checkString } from '../util/check';
import { WbcError } from '../util/errors';

/** A reported category of the scheme in use, per 100 white cells. */
export interface SummaryCategory {
  name: string;
  /** Cells counted in it. */
  count: number;
  /** count per 100 white cells counted. */
  percent: number;
  /** The exact 95% interval of `percent`, as percentages. */
  low: number;
  high: number;
  /** Its LOINC code, where the scheme gives one. */
  loinc?: string;
}

/** Cells of a kind that is not a white cell (nucleated red cells, platelets), never in the differential. */
export interface SummaryNonWhite {
  kind: string;
  count: number;
  /** Per 100 white cells with its exact 95% interval, for kinds reported so (nucleated red cells); absent for kinds counted only. */
  per100White?: { value: number; low: number; high: number };
  /** Its LOINC code, where one is known. */
  loinc?: string;
}

export interface SummarySignOff {
  /** The reviewer who signed the case off, as the review app records them. */
  signer: string;
  /** When, as an ISO 8601 instant with its time zone (`2026-12-05T14:03:00Z`). */
  at: string;
}

/**
 * What a laboratory information system needs of one case (a slide): the differential in the scheme's
 * categories, the cells outside it, and the case's state. The input of `fhirBundle`.
 */
export interface CaseSummary {
  /** A stable identifier of the case within this installation (the review app's case id). */
  caseId: string;
  /** The case's name as a person reads it (its folder name). */
  caseName: string;
  model: { name: string; version: string };
  scheme: string;
  categories: SummaryCategory[];
  /** The denominator of every percentage: the white cells counted in the categories. */
  whiteCells: number;
  /** Cells unlike any the model was trained on; `counted` says whether they are also in the categories. */
  outOfScope: { count: number; counted: boolean };
  /** Cells a reviewer put in a bin (unidentified, smudge, artefact, other cell), left out of the differential. */
  bins: { name: string; count: number }[];
  nonWhite: SummaryNonWhite[];
  /** Present once the case is signed off; its results are then final. */
  signOff?: SummarySignOff;
  /** The case's comment (the reviewer's conclusion), if any. */
  comment?: string;
}

/** An instant as FHIR's `instant` type spells it: date, time to the second and a time zone. */
const INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/;
const LOINC = /^\d{1,7}-\d$/;
/** Rounding in a caller's percentages (a CSV's one decimal) must not fail the interval check. */
const PERCENT_SLACK = 0.05;

function checkLoinc(where: string, code: string | undefined): void {
  if (code !== undefined && !LOINC.test(code)) throw new WbcError(`${where} has LOINC code "${code}", not of the form 12345-6`);
}

function checkInterval(where: string, value: number, low: number, high: number, max: number): void {
  checkNumber(`${where} low`, low, { min: 0, max });
  checkNumber(`${where} high`, high, { min: 0, max });
  if (low > value + PERCENT_SLACK || value > high + PERCENT_SLACK) throw new WbcError(`${where}: its interval ${low}–${high} does not hold its value ${value}`);
}

/**
 * Checks a summary before it is exported, with a one-line error for the first problem: counts that are
 * not whole numbers or do not add up to the white cells, a percentage off its count, an interval that
 * does not hold its value, a malformed LOINC code or sign-off time, a category named twice.
 */
export function checkCaseSummary(summary: CaseSummary): CaseSummary {
  checkString('caseId', summary.caseId);
  checkString('caseName', summary.caseName);
  checkString('model name', summary.model?.name);
  checkString('model version', summary.model?.version);
  checkString('scheme', summary.scheme);
  const whiteCells = checkInteger('whiteCells', summary.whiteCells, 0, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(summary.categories) || summary.categories.length === 0) throw new WbcError('a case summary needs at least one category');
  const names = new Set<string>();
  let counted = 0;
  for (const category of summary.categories) {
    const where = `category "${checkString('category name', category.name)}"`;
    if (names.has(category.name)) throw new WbcError(`${where} is named twice`);
    names.add(category.name);
    counted += checkInteger(`${where} count`, category.count, 0, whiteCells);
    const expected = whiteCells === 0 ? 0 : (category.count / whiteCells) * 100;
    if (Math.abs(checkNumber(`${where} percent`, category.percent, { min: 0, max: 100 }) - expected) > PERCENT_SLACK) {
      throw new WbcError(`${where}: ${category.percent}% is not ${category.count} of ${whiteCells} white cells`);
    }
    checkInterval(where, category.percent, category.low, category.high, 100);
    checkLoinc(where, category.loinc);
  }
  if (counted !== whiteCells) throw new WbcError(`the categories hold ${counted} cells, not the ${whiteCells} white cells counted`);
  checkInteger('out-of-scope count', summary.outOfScope?.count, 0, Number.MAX_SAFE_INTEGER);
  if (typeof summary.outOfScope.counted !== 'boolean') throw new WbcError('outOfScope.counted must be true or false');
  for (const bin of summary.bins) checkInteger(`bin "${checkString('bin name', bin.name)}" count`, bin.count, 0, Number.MAX_SAFE_INTEGER);
  for (const kind of summary.nonWhite) {
    const where = `non-white kind "${checkString('non-white kind', kind.kind)}"`;
    checkInteger(`${where} count`, kind.count, 0, Number.MAX_SAFE_INTEGER);
    if (kind.per100White) {
      const { value, low, high } = kind.per100White;
      checkInterval(where, checkNumber(`${where} per 100 white cells`, value, { min: 0, max: Number.MAX_VALUE }), low, high, Number.MAX_VALUE);
    }
    checkLoinc(where, kind.loinc);
  }
  if (summary.signOff) {
    checkString('signer', summary.signOff.signer);
    if (!INSTANT.test(summary.signOff.at) || Number.isNaN(Date.parse(summary.signOff.at))) {
      throw new WbcError(`sign-off time must be an ISO 8601 instant with a time zone, got '${summary.signOff.at}'`);
    }
  }
  if (summary.comment !== undefined && typeof summary.comment !== 'string') throw new WbcError('comment must be a text');
  return summary;
}
