/**
 * Waiting in real time for something a test cannot be told about (a server's counter, a peer's
 * log line), by polling. Every wait is bounded, so a bug shows up as a failed test, not a hang.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `intervalMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (predicate()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Resolves once `predicate` holds (polled), or throws "timed out waiting for `what`" after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  if (!(await waitUntil(predicate, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}
