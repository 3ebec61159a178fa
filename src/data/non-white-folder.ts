import { scanImageFolder, type ImageFolder } from './image-folder';
import { WbcError } from '../util/errors';

/**
 * A folder of cells that are not white cells (`wbc train --non-white`), one sub-folder per kind
 * (erythroblasts/, platelets/). Its kinds become classes after the white ones, so a kind may not share a
 * white class's name: the model could not tell which one it meant, and split paths would collide.
 */
export function scanNonWhiteFolder(dir: string, whiteClasses: readonly string[]): ImageFolder {
  const folder = scanImageFolder(dir);
  const clashing = folder.classes.filter((kind) => whiteClasses.includes(kind));
  if (clashing.length) {
    throw new WbcError(`--non-white ${dir}: ${clashing.join(', ')} is also a white-cell class of the labelled folder; a non-white kind needs a name of its own`);
  }
  return folder;
}
