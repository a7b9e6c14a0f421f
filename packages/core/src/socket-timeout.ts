/**
 * node:net's `socket.setTimeout(ms, callback)`, the part both runtimes' sockets share: `ms` must
 * be a finite number >= 0 (0 turns the timer off), and `callback` becomes a one-time 'timeout'
 * listener (node:net removes it again when given with 0). What counts as activity and when
 * 'timeout' is emitted is each runtime's own.
 */

/** A socket's 'timeout' listeners (node:events' once/off). */
export interface TimeoutListeners {
  once(event: 'timeout', listener: () => void): unknown;
  off(event: 'timeout', listener: () => void): unknown;
}

/** Checks `ms` (a RangeError otherwise), adds or removes `callback`; returns `ms`. */
export function setSocketTimeout(socket: TimeoutListeners, ms: number, callback: (() => void) | undefined): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`setTimeout: ms must be a finite number >= 0 (got ${String(ms)})`);
  if (callback !== undefined) {
    if (ms === 0) socket.off('timeout', callback);
    else socket.once('timeout', callback);
  }
  return ms;
}
