import { sleep } from '@dtls-kit/test-kit';

export { sleep, waitUntil } from '@dtls-kit/test-kit';

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

