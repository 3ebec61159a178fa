import { splitFolder } from '../../data/split-folders';
import { TRAIN_DEFAULTS } from '../../train/train';
import { decimal, parse, positionals, usageError, wholeNumber, type Command } from '../args';
import { printOut, printWarnings } from '../output';
import { ProgressLine, bar } from '../progress';

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
    if (args.flag('help')) return void printOut(usage);
    const [dataDir] = positionals(args.positionals, ['labelled-dir'], usage);
    const out = args.text('out');
    if (!out) throw usageError('--out <dir> is required', usage);
    const progress = new ProgressLine();
    const result = await splitFolder(dataDir, {
      out,
      testFraction: decimal(args.text('test-fraction'), 'test-fraction'),
      validationFraction: decimal(args.text('validation-fraction'), 'validation-fraction'),
      seed: wholeNumber(args.text('seed'), 'seed'),
      groupBy: args.text('group-by'),
      force: args.flag('force'),
      onProgress: (done, total) => progress.update(`copying ${bar(done / total)} ${done}/${total}`),
    });
    progress.done();
    printWarnings(result.warnings);
    printOut(`Wrote ${result.train} training and ${result.test} test images to ${out}`);
  },
};
