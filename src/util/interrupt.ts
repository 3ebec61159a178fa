import * as fs from 'node:fs';
import * as os from 'node:os';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Runs `work`, which calls `interrupted()` between its steps and stops (by throwing) once it is true.
 * Should Ctrl-C or SIGTERM arrive meanwhile, `cleanUp` runs once the work has stopped, so that nothing is
 * still writing while it removes what the work left, and the process then ends as the signal would have.
 */
export async function cleanUpOnInterrupt<T>(cleanUp: () => void, work: (interrupted: () => boolean) => Promise<T>): Promise<T> {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => { received = signal; };
  for (const name of SIGNALS) process.on(name, onSignal);
  let result: T | undefined;
  try {
    result = await work(() => received !== undefined);
  } catch (error) {
    if (received === undefined) throw error;
  } finally {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
  }
  if (received === undefined) return result as T;
  cleanUp();
  process.kill(process.pid, received);
  // The signal ends the process; should it be delivered late, exit as a shell reports that signal.
  return new Promise<never>(() => {
    setTimeout(() => process.exit(128 + os.constants.signals[received!]), 1000);
  });
}

/**
 * Whether a process with this id is alive (one of another user counts as alive). A zombie is dead: it has
 * exited and only waits for its parent to collect its status, which a container's PID 1 may never do,
 * yet signal 0 still reaches it. Linux tells its state in /proc; elsewhere signal 0 decides.
 */
export function isProcessRunning(pid: number): boolean {
  const state = processState(pid);
  if (state !== undefined) return state !== 'Z' && state !== 'X';
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state letter of /proc/<pid>/stat (R, S, D, Z, X…), or undefined where there is no such file to read. */
function processState(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (command) S …": the command may hold spaces and parentheses, so read after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || undefined;
}
