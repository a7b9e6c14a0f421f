/** A full garbage collection, for the tests that measure the heap (vitest runs core with --expose-gc). */
export function fullGc(): () => void {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc !== 'function') throw new Error('run with --expose-gc (vitest.config.ts execArgv)');
  return () => {
    // Twice: the first pass may only queue weak callbacks and finalizers.
    Reflect.apply(gc, undefined, []);
    Reflect.apply(gc, undefined, []);
  };
}
