/**
 * The control word C.HANDSHAKE: how one connection's handshake stands, shared by the worker that
 * runs it and the main thread that may evict it.
 *
 * A cookie (RFC 6347 4.2.1) proves an address, not a peer: a host with many ports can pass it from
 * each and then never answer, and each such handshake holds a worker or a queue place. The main
 * thread gives such a place to another client, but only to take it from a handshake that has not
 * moved for the first retransmission timeout (RFC 6347 4.2.4.1) while waiting on its peer, and
 * never from one that finished. Both facts live in the worker; the decision is the main thread's.
 * One word, changed only by compare-and-exchange on either side, keeps them from crossing: an
 * eviction succeeds only if the word is still the one the main thread judged (no step since, not
 * established), and a worker that finds the word evicted ends its handshake.
 *
 * Layout: bits 0-1 the phase; bit 2 set while the worker waits on its peer (not on its own
 * credential lookup or signature); bits 3 and up count the handshake's steps (a new state, or the
 * first flight sent), so that the main thread can tell when the handshake last moved.
 */
import { C } from './ring.js';

export const Phase = {
  HANDSHAKING: 0,
  ESTABLISHED: 1,
  /** Set by the main thread: the worker must end the handshake (fatal internal_error). */
  EVICTED: 2,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const PHASE_BITS = 3;
const WAITING_BIT = 4;
const STEP = 8;

export function phaseOf(word: number): number {
  return word & PHASE_BITS;
}

/** The worker waits on its peer (the peer's silence is the peer's, not ours). */
export function waitsOnPeer(word: number): boolean {
  return (word & WAITING_BIT) !== 0;
}

/** How many steps the handshake made so far (wraps after 2^29: only equality matters). */
export function stepsOf(word: number): number {
  return word >>> 3;
}

/**
 * Worker side: records a step of the handshake (`moved`) and whether it now waits on its peer.
 * Returns false, changing nothing, when the main thread evicted the handshake.
 */
export function reportHandshake(ctrl: Int32Array, moved: boolean, waiting: boolean): boolean {
  for (;;) {
    const word = Atomics.load(ctrl, C.HANDSHAKE);
    if (phaseOf(word) === Phase.EVICTED) return false;
    const next = ((moved ? word + STEP : word) & ~WAITING_BIT) | (waiting ? WAITING_BIT : 0);
    if (next === word || Atomics.compareExchange(ctrl, C.HANDSHAKE, word, next) === word) return true;
  }
}

/** Worker side: the handshake finished. False when the main thread evicted it first. */
export function markEstablished(ctrl: Int32Array): boolean {
  for (;;) {
    const word = Atomics.load(ctrl, C.HANDSHAKE);
    if (phaseOf(word) === Phase.EVICTED) return false;
    const next = (word & ~(PHASE_BITS | WAITING_BIT)) | Phase.ESTABLISHED;
    if (Atomics.compareExchange(ctrl, C.HANDSHAKE, word, next) === word) return true;
  }
}

/**
 * Main thread side: evicts the handshake if the word is still `seen` (no step, not finished since
 * the main thread judged it stalled). True when it did.
 */
export function evictIfUnchanged(ctrl: Int32Array, seen: number): boolean {
  const next = evictIfUnchangedWord(seen, seen);
  return next !== undefined && Atomics.compareExchange(ctrl, C.HANDSHAKE, seen, next) === seen;
}

/**
 * The word after an eviction, if `word` is still `seen` and handshaking; undefined otherwise. For a
 * connection still queued (no worker yet), whose word only the main thread keeps.
 */
export function evictIfUnchangedWord(word: number, seen: number): number | undefined {
  if (word !== seen || phaseOf(seen) !== Phase.HANDSHAKING) return undefined;
  return (seen & ~PHASE_BITS) | Phase.EVICTED;
}
