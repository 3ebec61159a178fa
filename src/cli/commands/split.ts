import { scanImageFolder } from '../../data/image-folder';
import { writeSplitFolders } from '../../data/split-folders';
import { stableSplit } from '../../data/split';
import { TRAIN_DEFAULTS } from '../../train/train';
import { fraction, integer, parse, positionals, usageError, type Command } from '../args';

const usage = `Usage: wbc split <labelled-dir> --out <dir> [options]

Copies a labelled folder into <dir>/train/<class>/ and <dir>/test/<class>/ with a stable, seeded
split: the same test images that \`wbc train\` holds out with the same --test-fraction, --seed and
--group-by. An image's side depends only on the seed and the image, so adding images or classes later
moves no image between sides. Validation images of \`wbc train\` go to train/.

  --out DIR                  folder to create (required)
  --test-fraction F          share of each class that goes to test (default ${TRAIN_DEFAULTS.testFraction})
  --validation-fraction F    as for wbc train, where it decides tiny classes (default ${TRAIN_DEFAULTS.validationFraction})
  --seed N                   (default ${TRAIN_DEFAULTS.seed})
  --group-by REGEX           images whose paths within their class folder give the same match (the first
                             capture group, or the whole match) go to the same side: patient, slide
  --force                    replace an existing, non-empty folder`;

export const splitCommand: Command = {
  name: 'split',
  summary: 'copy a labelled folder into train/ and test/ folders',
  usage,
  async run(argv) {
    const args = parse(argv, {
      out: { type: 'string' }, 'test-fraction': { type: 'string' }, 'validation-fraction': { type: 'string' }, seed: { type: 'string' },
      'group-by': { type: 'string' }, force: { type: 'boolean' },
    }, usage);
    if (args.flag('help')) return void process.stdout.write(`${usage}\n`);
    const [dataDir] = positionals(args.positionals, ['labelled-dir'], usage);
    if (!args.text('out')) throw usageError('--out <dir> is required', usage);
    const folder = scanImageFolder(dataDir);
    for (const warning of folder.warnings) process.stderr.write(`warning: ${warning}\n`);
    const testFraction = fraction(args.text('test-fraction'), 'test-fraction') ?? TRAIN_DEFAULTS.testFraction;
    const seed = integer(args.text('seed'), 'seed', 0) ?? TRAIN_DEFAULTS.seed;
    const validationFraction = fraction(args.text('validation-fraction'), 'validation-fraction') ?? TRAIN_DEFAULTS.validationFraction;
    const sides = stableSplit(folder, { seed, testFraction, validationFraction, groupBy: args.text('group-by') });
    const train = [...sides.train, ...sides.validation].sort((a, b) => a - b);
    const counts = writeSplitFolders(folder, { train, test: sides.test }, args.text('out')!, { force: args.flag('force') });
    process.stdout.write(`Wrote ${counts.train} training and ${counts.test} test images to ${args.text('out')}\n`);
  },
};
