import * as path from 'node:path';
import { CONFUSION_EXTENSIONS, writeConfusionMatrixImage } from '../../evaluate/confusion-image';
import { formatMetrics } from '../../evaluate/report';
import { GROUP_USAGE, groupFromConventions } from '../../distributed/options';
import { TRAIN_DEFAULTS, train } from '../../train/train';
import type { TrainingEvent } from '../../train/events';
import type { Balance } from '../../model/model-folder';
import { DEFAULT_OUT_OF_SCOPE_RATE } from '../../trust/calibrate';
import { DEFAULT_MAX_ACCEPTED_ERROR } from '../../trust/review-threshold';
import { checkOutputPaths } from '../../util/output-paths';
import { CACHE_OPTIONS, GROUP_OPTIONS, RUNTIME_OPTIONS, RUNTIME_USAGE, cacheChoice, decimal, groupChoice, parse, positionals, runtimeChoice, viewChoice, wholeNumber, type Command } from '../args';
import { printOut, printWarnings } from '../output';
import { describeTrust } from './info';
import { ProgressLine, bar, duration, percent } from '../progress';

const d = TRAIN_DEFAULTS;
const usage = `Usage: wbc train <labelled-dir> [--out <model-dir>] [options]

Trains a classifier on a folder with one sub-folder of images per class, keeps a stable, seeded test
split apart, and writes a model folder with the weights, the split and the test scores.

  --out DIR                  model folder to create (default: wbc-model)
  --force                    replace an existing model folder, or discard an interrupted run in it
  --resume                   continue the interrupted run in the model folder (give the same options)
  --epochs N                 passes over the training images (default ${d.epochs})
  --width N                  channels of the first conv stage (default ${d.width})
  --size N                   network input side in pixels (default ${d.inputSize})
  --crop F                   centre fraction of each image the network sees (default ${d.crop})
  --batch N                  images per training step (default ${d.batchSize})
  --balance MODE             weights|sampler|none|smote: how class imbalance is handled (default ${d.balance})
  --lr F                     peak learning rate of the one-cycle schedule (default ${d.learningRate})
  --weight-decay F           AdamW weight decay (default ${d.weightDecay})
  --label-smoothing F        (default ${d.labelSmoothing})
  --patience N               stop after N epochs without a better validation score (default ${d.patience})
  --tta auto|N               test-time views at prediction: auto (one view, all eight where it is not
                             sure; the default) or 1, 2, 4 or 8 flips/turns averaged for every image
  --test-fraction F          share of each class held out for the test, drawn per image (default ${d.testFraction})
  --validation-fraction F    share of the training split used for validation (default ${d.validationFraction})
  --seed N                   seed for the split, initial weights and augmentation (default ${d.seed})
  --non-white DIR            also teach the kinds of cell in DIR's sub-folders that are not white cells
                             (erythroblasts/, platelets/): extra classes, never counted in the differential
  --group-by REGEX           keep images whose paths within their class folder give the same match (the
                             first capture group, or the whole match) on one side of the split: patient, slide
  --max-per-class N          use at most N images of each class (quick trials)
  --confusion FILE           confusion-matrix picture of the test split, .svg or .png
                             (default: <model-dir>/confusion-matrix.svg)
  --max-accepted-error F     review threshold: the lowest confidence at which the 95% upper bound of the
                             error among accepted validation images is at most F (default ${DEFAULT_MAX_ACCEPTED_ERROR})
  --out-of-scope-rate F      share of in-scope validation images flagged out of scope (default ${DEFAULT_OUT_OF_SCOPE_RATE})
  --cache-dir DIR            where decoded images are cached (default ~/.cache/wbc-classifier)
  --no-cache                 decode every image afresh and cache nothing
${RUNTIME_USAGE}

Data-parallel training over several processes or machines (torchrun's conventions; see the README):
${GROUP_USAGE}`;

function reportProgress(progress: ProgressLine) {
  let validation = '';
  return (event: TrainingEvent) => {
    switch (event.type) {
      case 'decode':
        progress.update(`reading images ${bar(event.done / event.total)} ${event.done}/${event.total}`);
        if (event.done === event.total) progress.log(`read ${event.total} images`);
        break;
      case 'step': {
        const done = (event.epoch - 1) * event.stepsPerEpoch + event.step;
        const total = event.epochs * event.stepsPerEpoch;
        const eta = (event.elapsedSeconds / done) * (total - done);
        progress.update(`epoch ${event.epoch}/${event.epochs} ${bar(event.step / event.stepsPerEpoch)} loss ${event.loss.toFixed(3)}${validation}  ETA ${duration(eta)}`);
        break;
      }
      case 'epoch': {
        const r = event.record;
        validation = `  validation ${percent(r.validationAccuracy)}`;
        progress.log(`epoch ${String(r.epoch).padStart(2)}/${event.epochs}  loss ${r.loss.toFixed(3)}  train ${percent(r.trainAccuracy)}  validation ${percent(r.validationAccuracy)}${event.kept ? '  (kept)' : ''}  ${duration(r.seconds)}`);
        break;
      }
      case 'note':
        progress.log(event.text);
        break;
    }
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a classifier on a labelled image folder',
  usage,
  async run(argv) {
    const args = parse(argv, {
      out: { type: 'string' }, force: { type: 'boolean' }, resume: { type: 'boolean' }, epochs: { type: 'string' }, width: { type: 'string' },
      size: { type: 'string' }, crop: { type: 'string' }, batch: { type: 'string' }, balance: { type: 'string' },
      lr: { type: 'string' }, 'weight-decay': { type: 'string' }, 'label-smoothing': { type: 'string' },
      patience: { type: 'string' }, tta: { type: 'string' }, 'test-fraction': { type: 'string' },
      'validation-fraction': { type: 'string' }, seed: { type: 'string' }, 'group-by': { type: 'string' }, 'non-white': { type: 'string' }, 'max-per-class': { type: 'string' },
      confusion: { type: 'string' }, 'max-accepted-error': { type: 'string' }, 'out-of-scope-rate': { type: 'string' }, ...CACHE_OPTIONS, ...RUNTIME_OPTIONS,
      ...GROUP_OPTIONS,
    }, usage);
    if (args.flag('help')) return void process.stdout.write(`${usage}\n`);
    const [dataDir] = positionals(args.positionals, ['labelled-dir'], usage);
    const out = (args.text('out')) ?? 'wbc-model';
    const modelFiles = ['model.json', 'weights.pt', 'checkpoint'].map((name) => ({ path: path.join(out, name), what: 'the model\'s own file' }));
    if (args.text('confusion')) {
      checkOutputPaths([{ path: args.text('confusion')!, option: '--confusion', kind: 'file', extensions: CONFUSION_EXTENSIONS }], [{ path: dataDir, what: 'the image folder' }, ...modelFiles]);
    }
    const progress = new ProgressLine();
    const result = await train(dataDir, {
      out,
      force: args.flag('force'),
      resume: args.flag('resume'),
      epochs: wholeNumber(args.text('epochs'), 'epochs'),
      width: wholeNumber(args.text('width'), 'width'),
      inputSize: wholeNumber(args.text('size'), 'size'),
      crop: decimal(args.text('crop'), 'crop'),
      batchSize: wholeNumber(args.text('batch'), 'batch'),
      balance: args.text('balance') as Balance | undefined,
      learningRate: decimal(args.text('lr'), 'lr'),
      weightDecay: decimal(args.text('weight-decay'), 'weight-decay'),
      labelSmoothing: decimal(args.text('label-smoothing'), 'label-smoothing'),
      patience: wholeNumber(args.text('patience'), 'patience'),
      testTimeViews: viewChoice(args.text('tta')),
      testFraction: decimal(args.text('test-fraction'), 'test-fraction'),
      validationFraction: decimal(args.text('validation-fraction'), 'validation-fraction'),
      seed: wholeNumber(args.text('seed'), 'seed'),
      groupBy: args.text('group-by'),
      nonWhite: args.text('non-white'),
      maxPerClass: wholeNumber(args.text('max-per-class'), 'max-per-class'),
      maxAcceptedError: decimal(args.text('max-accepted-error'), 'max-accepted-error'),
      outOfScopeRate: decimal(args.text('out-of-scope-rate'), 'out-of-scope-rate'),
      cacheDir: cacheChoice(args),
      ...runtimeChoice(args),
      distributed: groupFromConventions(groupChoice(args)),
      onEvent: reportProgress(progress),
    });
    progress.done();
    printWarnings(result.warnings);
    if ('follower' in result) {
      printOut(`\nRank ${result.follower.rank} of ${result.follower.worldSize} done; rank 0 writes the model to its --out`);
      return;
    }
    const confusion = (args.text('confusion')) ?? path.join(out, 'confusion-matrix.svg');
    await writeConfusionMatrixImage(result.info.testMetrics, confusion, 'Test split');
    const { info } = result;
    printOut(`\nModel written to ${out} (weights of epoch ${info.training.keptEpoch}, ${info.training.precision}, ${duration(info.training.seconds)})`);
    printOut(`Test split: ${info.split.test.length} images never seen in training\n\n${formatMetrics(info.testMetrics)}`);
    printOut(`Confusion matrix picture: ${confusion}`);
    printOut(`\n${describeTrust(info)}`);
  },
};
