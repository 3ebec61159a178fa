const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Runs `work`; should Ctrl-C or SIGTERM arrive meanwhile, runs `cleanUp` and then ends the process as the
 * signal would have. Only useful around work that yields to the event loop (async I/O), where the signal
 * handler gets a chance to run.
 */
export async function cleanUpOnInterrupt<T>(cleanUp: () => void, work: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
    try {
      cleanUp();
    } finally {
      process.kill(process.pid, signal);
    }
  };
  for (const name of SIGNALS) process.once(name, onSignal);
  try {
    return await work();
  } finally {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
  }
}

/** Whether a process with this id is alive (one of another user counts as alive). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
