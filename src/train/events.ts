import type { EpochRecord } from '../model/model-folder';

/** What training reports as it goes; the CLI turns these into a progress bar. */
export type TrainingEvent =
  | { type: 'decode'; done: number; total: number }
  | { type: 'step'; epoch: number; epochs: number; step: number; stepsPerEpoch: number; loss: number; elapsedSeconds: number }
  | { type: 'epoch'; epochs: number; record: EpochRecord; improved: boolean }
  | { type: 'note'; text: string };

export type TrainingListener = (event: TrainingEvent) => void;
