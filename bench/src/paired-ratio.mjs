// Medians, and ratios of two rows paired run by run: the bench's statistics (report.mjs, targets.mjs).

/** The middle value (the mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The ratio of row `a` to row `b` as the runs give it: in each run where both were measured, a ÷ b
 * of that run (its rows ran minutes apart at most, interleaved with the others), then the median
 * of those with their min and max. Not median(a) ÷ median(b): on a host whose speed changes from
 * run to run, that can divide a fast run's figure by a slow run's. Undefined when no run has both.
 * `runs`: how many runs were paired.
 * `a`, `b`: rows of summarize() (report.mjs), whose `byRun` is [run, value] pairs.
 */
export function pairedRatio(a, b) {
  const ofB = new Map(b.byRun);
  const perRun = [];
  for (const [run, value] of a.byRun) {
    const base = ofB.get(run);
    // A figure that is not a positive finite number on either side leaves its run out.
    if (Number.isFinite(value) && value >= 0 && base !== undefined && Number.isFinite(base) && base > 0) perRun.push(value / base);
  }
  if (perRun.length === 0) return undefined;
  return { median: median(perRun), min: Math.min(...perRun), max: Math.max(...perRun), runs: perRun.length };
}
