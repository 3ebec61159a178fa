/**
 * `node dist/research/decode-check.js [FOLDER] [STORED_SIZE]`: decodes every image of a labelled folder (default
 * the shared data, 86 px) with the addon's JPEG decoder and with sharp (decodeImage), and prints how many
 * the native decoder declined and how many of the rest differ from sharp's pixels, as name=value lines.
 */
import { decodeImage } from '../src/data/decode';
import { scanImageFolder } from '../src/data/image-folder';
import { native } from '../src/native/binding';
import { LABELLED_DATA } from '../bench/fixture';
import { figure, note } from '../bench/report';

async function main(): Promise<void> {
  const folder = process.argv[2] ?? LABELLED_DATA;
  const storedSize = Number(process.argv[3] ?? 86);
  const files = scanImageFolder(folder).images.map((image) => image.path);
  const imageBytes = storedSize * storedSize * 3;
  note(`decoding ${files.length} images of ${folder} at ${storedSize} px both ways`);
  const pixels = Buffer.alloc(files.length * imageBytes);
  const reasons = await native().decodeJpegs(files, storedSize, pixels, 2);
  let differing = 0;
  let maxDifference = 0;
  for (const [index, file] of files.entries()) {
    if (reasons[index] !== '') continue;
    const viaSharp = await decodeImage(file, storedSize);
    const ours = pixels.subarray(index * imageBytes, (index + 1) * imageBytes);
    if (viaSharp.equals(ours)) continue;
    differing += 1;
    for (let k = 0; k < imageBytes; k += 1) maxDifference = Math.max(maxDifference, Math.abs(viaSharp[k] - ours[k]));
  }
  const declined = reasons.filter((reason) => reason !== '');
  figure('decode_check_images', files.length);
  figure('decode_check_declined', declined.length);
  if (declined.length > 0) figure('decode_check_declined_reasons', [...new Set(declined)].join('; '));
  figure('decode_check_differing', differing);
  figure('decode_check_max_difference', maxDifference);
}

main().catch((error: unknown) => {
  process.stderr.write(`decode check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
