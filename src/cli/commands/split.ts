import { scanImageFolder } from '../../data/image-folder';
import { writeSplitFolders } from '../../data/split-folders';
import { stratifiedSplit } from '../../data/split';
import { TRAIN_DEFAULTS } from '../../train/train';
import { fraction, integer, parse, positionals, usageError, type Command } from '../args';

const usage = `Usage: wbc split <labelled-dir> --out <dir> [options]

Copies a labelled folder into <dir>/train/<class>/ and <dir>/test/<class>/ with a stratified, seeded
split: the same test images that \`wbc train\` holds out with the same --test-fraction and --seed.

  --out DIR            folder to create (required)
  --test-fraction F    share of each class that goes to test (default ${TRAIN_DEFAULTS.testFraction})
  --seed N             (default ${TRAIN_DEFAULTS.seed})
  --force              replace an existing, non-empty folder`;

export const splitCommand: Command = {
  name: 'split',
  summary: 'copy a labelled folder into train/ and test/ folders',
  usage,
  async run(argv) {
    const args = parse(argv, {
      out: { type: 'string' }, 'test-fraction': { type: 'string' }, seed: { type: 'string' }, force: { type: 'boolean' },
    }, usage);
    if (args.flag('help')) return void process.stdout.write(`${usage}\n`);
    const [dataDir] = positionals(args.positionals, ['labelled-dir'], usage);
    if (!args.text('out')) throw usageError('--out <dir> is required', usage);
    const folder = scanImageFolder(dataDir);
    for (const warning of folder.warnings) process.stderr.write(`warning: ${warning}\n`);
    const testFraction = fraction(args.text('test-fraction'), 'test-fraction') ?? TRAIN_DEFAULTS.testFraction;
    const seed = integer(args.text('seed'), 'seed', 0) ?? TRAIN_DEFAULTS.seed;
    const { keep, holdOut } = stratifiedSplit(folder.images.map((image) => image.label), testFraction, seed);
    const counts = writeSplitFolders(folder, { train: keep, test: holdOut }, args.text('out')!, { force: args.flag('force') });
    process.stdout.write(`Wrote ${counts.train} training and ${counts.test} test images to ${args.text('out')}\n`);
  },
};
