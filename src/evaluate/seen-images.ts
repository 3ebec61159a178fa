import * as path from 'node:path';
import { contentHashes } from '../data/content-hash';
import type { ImageFolder, LabelledImage } from '../data/image-folder';
import type { ModelInfo } from '../model/model-folder';
import { WbcError } from '../util/errors';

export interface ChosenImages {
  images: LabelledImage[];
  warnings: string[];
}

const OPTIMISTIC = 'so these scores are optimistic; use --split test for the held-out images';

/**
 * The folder's images to score: all of them, or only the model's held-out test images. Images the model
 * trained on are recognised by content, so a copied, linked or renamed data folder is caught too, and named
 * in a warning. Models made before content hashes were stored are matched by path, as they always were.
 */
export async function chooseImages(info: ModelInfo, folder: ImageFolder, dataDir: string, split: 'all' | 'test'): Promise<ChosenImages> {
  if (!info.split) {
    if (split === 'test') throw new WbcError(`the model does not record its split, so its test images are unknown; score the whole folder instead`);
    return { images: folder.images, warnings: [] };
  }
  const relative = (image: LabelledImage) => path.relative(folder.root, image.path);
  const testPaths = new Set(info.split.test);
  const byPath = split === 'test' ? folder.images.filter((image) => testPaths.has(relative(image))) : folder.images;
  const stored = info.split.contentHashes;
  if (!stored) return chooseByPath({ ...info, split: info.split }, folder, dataDir, byPath, split);

  const contents = await contentHashes(folder.images.map((image) => image.path));
  const contentOf = new Map(folder.images.map((image, index) => [image, contents[index]]));
  const trained = new Set([...stored.train, ...stored.validation]);
  const wasTrainedOn = (image: LabelledImage) => trained.has(contentOf.get(image) ?? '');
  const warnings: string[] = [];
  let images = byPath;
  if (split === 'test' && images.length === 0) {
    // Paths differ from the training folder's (reorganised, renamed): find the test images by their content instead.
    const test = new Set(stored.test);
    images = folder.images.filter((image) => test.has(contentOf.get(image) ?? '') && !wasTrainedOn(image));
    if (images.length > 0) warnings.push(`found ${images.length} of the model's ${info.split.test.length} test images by their content, as none had the path it had in training`);
  }
  if (images.length === 0) throw new WbcError(`none of the model's test images are in ${dataDir}; was it trained on another folder?`);
  const seen = images.filter(wasTrainedOn).length;
  if (seen > 0) {
    warnings.push(split === 'test'
      ? `${seen} of the test images have the same content as images the model trained on (duplicate files in the data), so these scores are slightly optimistic`
      : `${seen} of these images were used to train the model (recognised by their content), ${OPTIMISTIC}`);
  }
  return { images, warnings };
}

/** Models without content hashes: test images by path, and training images only in the folder the model was trained on. */
function chooseByPath(info: ModelInfo & Required<Pick<ModelInfo, 'split'>>, folder: ImageFolder, dataDir: string, images: LabelledImage[], split: 'all' | 'test'): ChosenImages {
  if (images.length === 0) throw new WbcError(`none of the model's test images are in ${dataDir}; was it trained on another folder?`);
  const warnings: string[] = [];
  if (split === 'all' && info.data?.root === folder.root) {
    const seen = new Set([...info.split.train, ...info.split.validation]);
    const overlap = images.filter((image) => seen.has(path.relative(folder.root, image.path))).length;
    if (overlap > 0) warnings.push(`${overlap} of these images were used to train the model, ${OPTIMISTIC}`);
  }
  return { images, warnings };
}
