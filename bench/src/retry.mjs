// BENCH_RETRIES: a row that fails is run again, up to `retries` more times. For the harness's smoke
// test on a loaded machine (a port taken between a probe and a peer's bind, a peer that times out
// once); every failure is still reported: `onRetry` hears each one that a later attempt replaced.

/** The result of the first attempt of `run` that succeeds; the last attempt's error when none does. */
export async function withRetries(run, retries, onRetry) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(attempt);
    } catch (e) {
      if (attempt >= retries) throw e;
      onRetry(e, attempt);
    }
  }
}
