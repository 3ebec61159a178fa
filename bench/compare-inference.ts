import type { OurInference } from './our-inference';
import type { PyTorchWorker } from './pytorch';
import { figure, median, note, pairedRatio, spread } from './report';

export interface InferencePlan {
  /** Cached images per repeat, and the views (flips/turns) each is predicted in. */
  count: number;
  views: number;
  repeats: number;
  /** Label in the figure names, e.g. `infer` or `infer_tta8`. */
  name: string;
  /** PyTorch crops as the addon does (grid_sample) instead of by slicing: same ops on both sides. */
  sameOps?: boolean;
}

/** Prediction on cached pixels (decoding excluded), ours and PyTorch's, alternating as in compareTraining. */
export async function compareCachedInference(ours: OurInference, theirs: PyTorchWorker | undefined, plan: InferencePlan): Promise<void> {
  note(`${plan.name}: ${plan.repeats} repeats of ${plan.count} cached images × ${plan.views} view(s) per side`);
  const command = plan.sameOps ? 'predict_resampled' : 'predict';
  await ours.cached(Math.min(plan.count, 512), plan.views);
  if (theirs) await theirs.send(`${command} ${Math.min(plan.count, 512)} ${plan.views}`);
  const ourRates: number[] = [];
  const theirRates: number[] = [];
  const theirPreparationShares: number[] = [];
  const runTheirs = async () => {
    if (!theirs) return;
    const reply = await theirs.send(`${command} ${plan.count} ${plan.views}`);
    theirRates.push(Number(reply.images) / Number(reply.seconds));
    theirPreparationShares.push(Number(reply.prepare_seconds) / Number(reply.seconds));
  };
  for (let repeat = 0; repeat < plan.repeats; repeat += 1) {
    if (repeat % 2 === 1) await runTheirs();
    ourRates.push((await ours.cached(plan.count, plan.views)).imagesPerSecond);
    if (repeat % 2 === 0) await runTheirs();
  }
  spread(`${plan.name}_img_per_s_ours`, ourRates);
  // Where prediction time goes: batch preparation (crop, normalise) against the network itself.
  figure(`${plan.name}_preparation_share_ours`, ours.preparationSeconds(Math.min(plan.count, 1024)) * plan.views * median(ourRates));
  if (!theirs) return;
  spread(`${plan.name}_img_per_s_pytorch`, theirRates);
  figure(`${plan.name}_preparation_share_pytorch`, median(theirPreparationShares));
  pairedRatio(`${plan.name}_ratio_vs_pytorch`, ourRates, theirRates);
}

/** Decoding real JPEGs and predicting them: loadImages + ours against PIL + PyTorch, alternating. */
export async function compareFileInference(
  ours: OurInference,
  theirs: PyTorchWorker | undefined,
  files: { paths: string[]; listFile: string },
  plan: Omit<InferencePlan, 'count'>,
): Promise<void> {
  note(`${plan.name}: ${plan.repeats} repeats of ${files.paths.length} JPEGs × ${plan.views} view(s) per side, decoding included`);
  const ourRates: number[] = [];
  const ourDecodeShares: number[] = [];
  const theirRates: number[] = [];
  const theirDecodeShares: number[] = [];
  const runTheirs = async () => {
    if (!theirs) return;
    const reply = await theirs.send(`predict_files ${files.listFile} ${plan.views}`);
    theirRates.push(Number(reply.images) / Number(reply.seconds));
    theirDecodeShares.push(Number(reply.decode_seconds) / Number(reply.seconds));
  };
  for (let repeat = 0; repeat < plan.repeats; repeat += 1) {
    if (repeat % 2 === 1) await runTheirs();
    const sample = await ours.fromFiles(files.paths, plan.views);
    ourRates.push(sample.imagesPerSecond);
    ourDecodeShares.push(sample.decodeShare ?? 0);
    if (repeat % 2 === 0) await runTheirs();
  }
  spread(`${plan.name}_img_per_s_ours`, ourRates);
  figure(`${plan.name}_decode_share_ours`, median(ourDecodeShares));
  if (!theirs) return;
  spread(`${plan.name}_img_per_s_pytorch`, theirRates);
  figure(`${plan.name}_decode_share_pytorch`, median(theirDecodeShares));
  pairedRatio(`${plan.name}_ratio_vs_pytorch`, ourRates, theirRates);
}
