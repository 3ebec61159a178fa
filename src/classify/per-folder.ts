import * as path from 'node:path';
import { csvRow } from '../util/csv';
import { parseCsv } from './csv';
import { differentialCount, differentialCsv, type Differential } from './differential';
import type { Prediction } from './predictions';
import { schemeDifferential, schemeDifferentialCsv } from './scheme-differential';
import type { Scheme } from '../scheme/scheme';

export interface FolderDifferential {
  /** The images' folder relative to the classified folder, ending in `/`; `./` for images directly in it. */
  folder: string;
  differential: Differential;
}

/** The `folder` value of the rows that count every image. */
export const ALL_FOLDERS = '(all)';

/** The folder part of a prediction's relative path, ending in `/`, so it can never be read as ALL_FOLDERS. */
function folderOf(file: string): string {
  const dir = path.dirname(file);
  return `${dir.split(path.sep).join('/')}/`;
}

/** The predictions of each folder (per slide), in the order the folders first appear. */
function byFolder(predictions: readonly Prediction[]): [string, Prediction[]][] {
  const groups = new Map<string, Prediction[]>();
  for (const prediction of predictions) {
    const folder = folderOf(prediction.file);
    const group = groups.get(folder);
    if (group) group.push(prediction);
    else groups.set(folder, [prediction]);
  }
  return [...groups];
}

/** One differential per folder (per slide), in the order the folders first appear in the predictions; non-white kinds counted apart. */
export function differentialsByFolder(predictions: readonly Prediction[], classes: readonly string[], nonWhiteKinds: readonly string[] = []): FolderDifferential[] {
  return byFolder(predictions).map(([folder, members]) => ({ folder, differential: differentialCount(members, classes, nonWhiteKinds) }));
}

/** A differential CSV's rows with a `folder` column added last: the whole folder's (`(all)`), then each folder's in turn. */
function withFolderColumn(overall: string, perFolder: readonly { folder: string; csv: string }[]): string {
  const rowsOf = (csv: string, folder: string) => parseCsv(csv).slice(1).map((row) => csvRow([...row, folder]));
  const [header] = parseCsv(overall);
  return [
    csvRow([...header, 'folder']),
    ...rowsOf(overall, ALL_FOLDERS),
    ...perFolder.flatMap(({ folder, csv }) => rowsOf(csv, folder)),
  ].join('');
}

/**
 * The differential CSV with a `folder` column added last: first the whole folder's rows (folder `(all)`),
 * exactly the rows of differentialCsv, then the same rows for each sub-folder in turn.
 */
export function perFolderDifferentialCsv(overall: Differential, perFolder: readonly FolderDifferential[]): string {
  return withFolderColumn(differentialCsv(overall), perFolder.map(({ folder, differential }) => ({ folder, csv: differentialCsv(differential) })));
}

/**
 * `--per-folder`'s CSV in the run's scheme: class by class (perFolderDifferentialCsv), or else the rows of
 * schemeDifferentialCsv for all the predictions, then for each folder's. With how many folders it covers.
 */
export function perFolderCsv(predictions: readonly Prediction[], classes: readonly string[], scheme: Scheme, nonWhiteKinds: readonly string[] = []): { csv: string; folders: number } {
  if (scheme.identity) {
    const folders = differentialsByFolder(predictions, classes, nonWhiteKinds);
    return { csv: perFolderDifferentialCsv(differentialCount(predictions, classes, nonWhiteKinds), folders), folders: folders.length };
  }
  const folders = byFolder(predictions);
  const csv = withFolderColumn(
    schemeDifferentialCsv(schemeDifferential(predictions, classes, scheme)),
    folders.map(([folder, members]) => ({ folder, csv: schemeDifferentialCsv(schemeDifferential(members, classes, scheme)) })),
  );
  return { csv, folders: folders.length };
}
