/** The longest the event loop went without running a 10 ms interval timer while `work` ran. */
export async function largestTimerGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let largest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    largest = Math.max(largest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(largest, performance.now() - last);
}
