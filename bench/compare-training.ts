import { TRAIN_DEFAULTS } from '../src/train/train';
import type { OurTraining } from './our-training';
import type { PyTorchWorker } from './pytorch';
import { figure, median, note, pairedRatio, spread } from './report';

export interface TrainingPlan {
  warmupSteps: number;
  steps: number;
  repeats: number;
}

/**
 * Training images per second, ours and PyTorch's, in alternating order (ours first on even repeats,
 * theirs first on odd ones) so that a slow spell of the machine lands on both sides alike.
 */
export async function compareTraining(ours: OurTraining, theirs: PyTorchWorker | undefined, plan: TrainingPlan): Promise<void> {
  const batch = TRAIN_DEFAULTS.batchSize;
  note(`training: ${plan.repeats} repeats of ${plan.steps} steps of ${batch} images per side, after ${plan.warmupSteps} warm-up steps`);
  await ours.train(plan.warmupSteps);
  if (theirs) await theirs.send(`train ${plan.warmupSteps}`);

  const ourRates: number[] = [];
  const stepShares: number[] = [];
  const theirRates: number[] = [];
  const theirAugmentShares: number[] = [];
  const runTheirs = async () => {
    if (!theirs) return;
    const reply = await theirs.send(`train ${plan.steps}`);
    theirRates.push(Number(reply.images) / Number(reply.seconds));
    theirAugmentShares.push(Number(reply.augment_seconds) / Number(reply.seconds));
  };
  for (let repeat = 0; repeat < plan.repeats; repeat += 1) {
    if (repeat % 2 === 1) await runTheirs();
    const sample = await ours.train(plan.steps);
    ourRates.push(sample.imagesPerSecond);
    stepShares.push(sample.stepShare);
    if (repeat % 2 === 0) await runTheirs();
    note(`training repeat ${repeat + 1}: ours ${sample.imagesPerSecond.toFixed(0)} img/s${theirs ? `, pytorch ${theirRates[repeat].toFixed(0)} img/s` : ''}`);
  }

  spread('train_img_per_s_ours', ourRates);
  // Everything outside trainStep is the JavaScript half of the data pipeline (order, indices, labels, augmentation parameters).
  spread('train_step_share_of_loop_ours', stepShares);
  // The C++ half (gather + jitter + resampling), timed alone: its share of a whole step.
  const batchSeconds = ours.batchSeconds(plan.steps);
  figure('train_batch_preparation_share_ours', batchSeconds / (batch / median(ourRates)));
  if (!theirs) return;
  spread('train_img_per_s_pytorch', theirRates);
  figure('train_batch_preparation_share_pytorch', median(theirAugmentShares));
  pairedRatio('train_ratio_vs_pytorch', ourRates, theirRates);
}
