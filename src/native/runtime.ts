import * as fs from 'node:fs';
import * as os from 'node:os';
import { checkInteger, checkOneOf, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { native } from './binding';

export type DeviceChoice = 'auto' | 'cpu' | 'cuda';

export interface Runtime {
  device: 'cpu' | 'cuda';
  /** bf16 autocast on the CPU: about 1.8x faster training where the CPU has native bf16 instructions. */
  bfloat16: boolean;
  threads: number;
  /** Worth telling the user, such as a thread count lowered to the machine's cores. */
  warnings: string[];
}

export interface RuntimeOptions {
  device?: DeviceChoice;
  threads?: number;
}

function cpuHasNativeBfloat16(): boolean {
  try {
    return /\b(avx512_bf16|amx_bf16)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** Throws a one-line WbcError for a device or thread count that cannot be used. */
export function checkRuntimeOptions(options: RuntimeOptions): void {
  optional(options.device, (v) => checkOneOf('--device', v, ['auto', 'cpu', 'cuda']));
  optional(options.threads, (v) => checkInteger('--threads', v, 1, 1_000_000));
}

/**
 * Picks the device, precision and thread count, and applies the thread count to LibTorch. More threads
 * than cores only slow LibTorch down (1,000 threads ran an epoch 80 times slower), so the count is capped.
 */
export function setUpRuntime(options: RuntimeOptions & { bfloat16?: boolean } = {}): Runtime {
  checkRuntimeOptions(options);
  const addon = native();
  const choice = options.device ?? 'auto';
  const cuda = addon.cudaAvailable();
  if (choice === 'cuda' && !cuda) throw new WbcError('--device cuda was asked for, but this LibTorch build has no CUDA device');
  const device = choice === 'cpu' || !cuda ? 'cpu' : 'cuda';
  const cores = os.availableParallelism();
  const warnings: string[] = [];
  let threads = options.threads ?? cores;
  if (threads > cores) {
    warnings.push(`--threads ${threads} is more than the ${cores} cores here; using ${cores}`);
    threads = cores;
  }
  addon.setThreads(threads);
  const bfloat16 = device === 'cpu' && (options.bfloat16 ?? cpuHasNativeBfloat16());
  return { device, bfloat16, threads, warnings };
}
