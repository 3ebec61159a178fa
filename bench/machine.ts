import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { figure } from './report';

/** Other `wbc train` runs and the load average: a benchmark on a busy machine is reported as such. */
function otherTrainingRuns(): string[] {
  try {
    const lines = execFileSync('pgrep', ['-fa', 'wbc.js train'], { encoding: 'utf8' }).trim().split('\n');
    return lines.filter((line) => line && !line.startsWith(`${process.pid} `));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export function describeMachine(): void {
  const cpus = os.cpus();
  figure('machine_cpu', (cpus[0]?.model ?? 'unknown').trim());
  figure('machine_cores', os.availableParallelism());
  figure('machine_memory_gib', Math.round((os.totalmem() / 1024 ** 3) * 10) / 10);
  figure('machine_node', process.version);
  figure('machine_date_utc', new Date().toISOString());
}

/**
 * Printed at the start and end of a run: both must show no other training for the figures to stand.
 * The load average only means something at the start, before the bench's own work raises it.
 */
export function describeLoad(when: 'start' | 'end'): void {
  if (when === 'start') figure('load_average_1m_at_start', os.loadavg()[0]);
  figure(`other_wbc_train_runs_at_${when}`, otherTrainingRuns().length);
}
