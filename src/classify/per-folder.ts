import * as path from 'node:path';
import { csvRow } from '../util/csv';
import { parseCsv } from './csv';
import { differentialCount, differentialCsv, type Differential } from './differential';
import type { Prediction } from './predictions';

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

/** One differential per folder (per slide), in the order the folders first appear in the predictions; non-white kinds counted apart. */
export function differentialsByFolder(predictions: readonly Prediction[], classes: readonly string[], nonWhiteKinds: readonly string[] = []): FolderDifferential[] {
  const groups = new Map<string, Prediction[]>();
  for (const prediction of predictions) {
    const folder = folderOf(prediction.file);
    const group = groups.get(folder);
    if (group) group.push(prediction);
    else groups.set(folder, [prediction]);
  }
  return [...groups].map(([folder, members]) => ({ folder, differential: differentialCount(members, classes, nonWhiteKinds) }));
}

/**
 * The differential CSV with a `folder` column added last: first the whole folder's rows (folder `(all)`),
 * exactly the rows of differentialCsv, then the same rows for each sub-folder in turn.
 */
export function perFolderDifferentialCsv(overall: Differential, perFolder: readonly FolderDifferential[]): string {
  const withFolder = (differential: Differential, folder: string) => parseCsv(differentialCsv(differential)).slice(1).map((row) => csvRow([...row, folder]));
  const [header] = parseCsv(differentialCsv(overall));
  return [
    csvRow([...header, 'folder']),
    ...withFolder(overall, ALL_FOLDERS),
    ...perFolder.flatMap(({ folder, differential }) => withFolder(differential, folder)),
  ].join('');
}
