import { startFaultRelay, type RandomFaults } from './fault-relay.js';

export interface LossyRelayStats {
  readonly forwarded: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly delayed: number;
}

/**
 * A lossy UDP relay on 127.0.0.1 between real clients and a server at `target` (a preset of
 * startFaultRelay): every datagram in either direction is dropped with probability `loss`,
 * duplicated (5%) or delayed 5–40 ms (10%, reordering it), by a seeded RNG.
 */
export async function startLossyRelay(
  target: number,
  seed: number,
  loss: number,
): Promise<{ port: number; stats: LossyRelayStats; close: () => Promise<void> }> {
  const faults: RandomFaults = { loss, duplicate: 0.05, reorder: 0.1, delayMs: [5, 40] };
  const relay = await startFaultRelay({ target, seed, toServer: faults, toClient: faults });
  const sum = (key: 'forwarded' | 'dropped' | 'duplicated' | 'delayed'): number => relay.stats.toServer[key] + relay.stats.toClient[key];
  return {
    port: relay.port,
    stats: {
      get forwarded(): number {
        return sum('forwarded');
      },
      get dropped(): number {
        return sum('dropped');
      },
      get duplicated(): number {
        return sum('duplicated');
      },
      get delayed(): number {
        return sum('delayed');
      },
    },
    close: () => relay.close(),
  };
}
