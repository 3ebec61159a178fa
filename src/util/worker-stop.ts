import type { Worker } from 'node:worker_threads';

/** How long a worker asked to stop may take to finish its step and exit before it is terminated. */
export const WORKER_STOP_GRACE_MS = 10_000;

export type WorkerStopped = 'exited' | 'terminated';

/**
 * Asks `worker` to stop (posts `request`, if given) and waits for it to exit on its own. A thread ended by
 * terminate() while native work is in flight in it (sharp, ONNX Runtime, the addon's AsyncWorkers) aborts
 * the whole process ("terminate called after throwing an instance of 'Napi::Error'"), so terminate() is only
 * the fallback, after `graceMs`. Says which of the two ended it.
 */
export async function stopWorker(worker: Worker, request?: unknown, graceMs = WORKER_STOP_GRACE_MS): Promise<WorkerStopped> {
  // threadId is -1 once the thread has ended, possibly before its 'exit' event.
  if (worker.threadId === -1) return 'exited';
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<WorkerStopped>((resolve) => worker.once('exit', () => resolve('exited')));
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), graceMs); });
  if (request !== undefined) worker.postMessage(request);
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'exited') return outcome;
  await worker.terminate();
  return 'terminated';
}
