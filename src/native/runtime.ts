import * as fs from 'node:fs';
import * as os from 'node:os';
import { checkInteger, checkOneOf, optional } from '../util/check';
import { WbcError } from '../util/errors';
import { native } from './binding';

export type DeviceChoice = 'auto' | 'cpu' | 'cuda';
/** auto: bf16 where the CPU has native bf16 instructions, else fp32. */
export type PrecisionChoice = 'auto' | 'fp32' | 'bf16';
export type Precision = 'fp32' | 'bf16';
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ['auto', 'fp32', 'bf16'];

export interface Runtime {
  device: 'cpu' | 'cuda';
  precision: Precision;
  /** bf16 autocast on the CPU (precision bf16): faster training where the CPU has native bf16 instructions (docs/precision.md). */
  bfloat16: boolean;
  threads: number;
  /** Worth telling the user, such as a thread count lowered to the machine's cores. */
  warnings: string[];
}

export interface RuntimeOptions {
  device?: DeviceChoice;
  threads?: number;
  precision?: PrecisionChoice;
}

/** Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX); elsewhere autocast would emulate it slowly. */
export function cpuHasNativeBfloat16(): boolean {
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
  optional(options.precision, (v) => checkOneOf('--precision', v, PRECISION_CHOICES));
}

/**
 * The arithmetic the engine will use. bf16 is LibTorch's CPU autocast: it is offered only where the CPU
 * has bf16 instructions (it exists for speed) and does not apply on CUDA.
 */
export function resolvePrecision(choice: PrecisionChoice, device: 'cpu' | 'cuda', cpuHasBfloat16: boolean): Precision {
  if (choice === 'fp32') return 'fp32';
  if (choice === 'auto') return device === 'cpu' && cpuHasBfloat16 ? 'bf16' : 'fp32';
  if (device === 'cuda') throw new WbcError('--precision bf16 is for the CPU; on CUDA the engine runs in fp32 (add --device cpu, or leave out --precision)');
  if (!cpuHasBfloat16) throw new WbcError('--precision bf16 needs a CPU with bf16 instructions (avx512_bf16 or amx_bf16), and this one has none: use --precision fp32 or auto');
  return 'bf16';
}

/**
 * Picks the device, precision and thread count, and applies the thread count to LibTorch. More threads
 * than cores only slow LibTorch down (1,000 threads ran an epoch 80 times slower), so the count is capped.
 */
export function setUpRuntime(options: RuntimeOptions = {}): Runtime {
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
  const precision = resolvePrecision(options.precision ?? 'auto', device, cpuHasNativeBfloat16());
  addon.setThreads(threads);
  return { device, precision, bfloat16: precision === 'bf16', threads, warnings };
}
