/**
 * Runs `count` jobs with at most `concurrency` in flight; results in job order. The workers
 * start `rampMs` apart, so the first wave of process starts does not all land at once.
 */
export async function runPool<T>(count: number, concurrency: number, job: (index: number) => Promise<T>, rampMs = 0): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (k: number): Promise<void> => {
    if (rampMs > 0) await sleep(k * rampMs);
    for (;;) {
      const index = next++;
      if (index >= count) return;
      results[index] = await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, k) => worker(k)));
  return results;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (predicate()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(10);
  }
}
