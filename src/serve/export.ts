import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { predictionRow, predictionsHeader, SCHEME_COLUMNS, schemeFields } from '../classify/prediction-columns';
import { fsyncDirectory } from '../util/atomic-write';
import { WbcError } from '../util/errors';
import { makeFolders } from '../util/folders';
import { isBin } from './labels';
import type { Cell, LabelledExport } from './api-schemas';

/** The predictions CSV of `wbc classify` (out-of-scope cells empty where the model has no such check, the scheme's group columns last) plus the review and its comments. */
export function reviewedPredictionsCsv(cells: readonly Cell[], classes: readonly string[]): string {
  const rows = cells.map((cell) => predictionRow({
    file: cell.file, prediction: cell.prediction, confidence: cell.confidence, second: cell.second,
    secondConfidence: cell.second_confidence, needsReview: cell.needs_review, outOfScopeScore: cell.out_of_scope_score,
    outOfScope: cell.out_of_scope, probabilities: cell.probabilities,
  }, [...schemeFields({ group: cell.group, groupConfidence: cell.group_confidence }), cell.label ?? '', cell.reviewed_by ?? '', cell.reviewed_at ?? '', cell.comment ?? '']));
  return predictionsHeader(classes, [...SCHEME_COLUMNS, 'reviewed_label', 'reviewed_by', 'reviewed_at', 'comment']) + rows.join('');
}

/** A file name for a cell in a flat class folder: its relative path with separators made safe, after its id. */
function exportName(cell: Cell): string {
  return `${cell.id}-${cell.file.split(/[\\/]/).join('__')}`;
}

function linkOrCopy(source: string, target: string): void {
  try {
    fs.linkSync(source, target);
  } catch {
    fs.copyFileSync(source, target);
  }
}

/**
 * Refuses, in one line, an exported file whose content is not the one the cell was classified and
 * reviewed from. Checked on the exported file itself (after linking or copying), so that an image
 * replaced between the check and the link cannot slip in under another image's review.
 */
function requireClassifiedContent(cell: Cell, exported: string): void {
  const retry = 'rescan the folder, review it again, then export';
  if (cell.sha256 === null) throw new WbcError(`${cell.file} has no recorded content hash yet; ${retry}`);
  const now = createHash('sha256').update(fs.readFileSync(exported)).digest('hex');
  if (now !== cell.sha256) {
    throw new WbcError(`${cell.file} changed since it was classified (sha256 ${cell.sha256.slice(0, 12)}… now ${now.slice(0, 12)}…); ${retry}`);
  }
}

/** Marks a folder as made by this export, the only kind of existing folder an export may replace. */
const EXPORT_MARKER = '.wbc-review-export';

/**
 * Where each reviewed cell goes: `<class>/`, or for a model with non-white kinds `white/<class>/` and
 * `non-white/<kind>/`, so that `wbc train` never takes a kind for a white class.
 */
function exportLayout(folder: string, nonWhite: readonly string[]): { subfolder(label: string): string; trainArguments: string[] } {
  if (nonWhite.length === 0) return { subfolder: (label) => label, trainArguments: [folder] };
  return {
    subfolder: (label) => path.join(nonWhite.includes(label) ? 'non-white' : 'white', label),
    trainArguments: [path.join(folder, 'white'), '--non-white', path.join(folder, 'non-white')],
  };
}

/**
 * Writes the cells reviewed as one of the classes into a folder `wbc train` accepts (hard links where the
 * file system allows, else copies): one sub-folder per class, the non-white kinds apart (exportLayout). The
 * folder is built beside its place and renamed into it, replacing an earlier export, so that it is never
 * seen half-written. Each image must still have the content it was classified from (its sha256), or
 * nothing is exported.
 */
export function exportLabelledFolder(cells: readonly Cell[], resolveImage: (cell: Cell) => string, folder: string, nonWhite: readonly string[] = []): LabelledExport {
  const reviewed = cells.filter((cell) => cell.label !== null && !isBin(cell.label));
  if (reviewed.length === 0) throw new WbcError('no cell has been reviewed as one of the classes yet; nothing to export');
  if (fs.existsSync(folder) && !fs.existsSync(path.join(folder, EXPORT_MARKER))) {
    throw new WbcError(`${folder} exists and is not an earlier export of a review; move it away or choose another --export-dir`);
  }
  const parent = path.dirname(path.resolve(folder));
  makeFolders(parent);
  const building = path.join(parent, `.${path.basename(folder)}.${process.pid}.building`);
  fs.rmSync(building, { recursive: true, force: true });
  const layout = exportLayout(folder, nonWhite);
  const perClass: Record<string, number> = {};
  try {
    fs.mkdirSync(building);
    fs.writeFileSync(path.join(building, EXPORT_MARKER), '');
    for (const cell of reviewed) {
      const classDir = path.join(building, layout.subfolder(cell.label!));
      if (!perClass[cell.label!]) fs.mkdirSync(classDir, { recursive: true });
      perClass[cell.label!] = (perClass[cell.label!] ?? 0) + 1;
      const exported = path.join(classDir, exportName(cell));
      linkOrCopy(resolveImage(cell), exported);
      requireClassifiedContent(cell, exported);
    }
    fs.rmSync(folder, { recursive: true, force: true });
    fs.renameSync(building, folder);
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true });
    throw error instanceof WbcError ? error : new WbcError(`cannot export to ${folder}: ${(error as Error).message}`);
  }
  fsyncDirectory(parent);
  // Without a cell reviewed as a kind there is no non-white folder to train with.
  const withKinds = nonWhite.some((kind) => perClass[kind]);
  return { folder, images: reviewed.length, perClass, trainArguments: withKinds ? layout.trainArguments : layout.trainArguments.slice(0, 1) };
}
