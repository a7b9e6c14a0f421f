/**
 * Quick slice or full run of the seeded sweeps. `make test` runs a quick slice of each sweep: every
 * suite, provider and fault kind, with fewer seeds (the count is in the test's name);
 * DTLS_KIT_FULL=1 (`make test-full`) runs the full counts. A sweep's own variable (SIM_SEEDS, ...)
 * still sets its count outright.
 */
export const FULL_RUN: boolean = process.env['DTLS_KIT_FULL'] === '1';

/** The number of seeds of a sweep: `variable` if set, else `full` under DTLS_KIT_FULL=1, else `quick`. */
export function seedCount(variable: string, quick: number, full: number): number {
  const set = process.env[variable];
  return set === undefined || set === '' ? (FULL_RUN ? full : quick) : Number(set);
}
