import type { EpochRecord } from '../model/model-folder';

/** What training reports as it goes; the CLI turns these into a progress bar. */
export type TrainingEvent =
  | { type: 'decode'; done: number; total: number }
  | { type: 'step'; epoch: number; epochs: number; step: number; stepsPerEpoch: number; loss: number; elapsedSeconds: number }
  /** kept: this epoch's weights are now the ones the model will keep (see EpochSelector). */
  | { type: 'epoch'; epochs: number; record: EpochRecord; kept: boolean }
  | { type: 'note'; text: string };

export type TrainingListener = (event: TrainingEvent) => void;
