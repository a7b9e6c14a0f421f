import type { ResolvedOptions } from '../../options.js';

/**
 * The CID we ask the peer to put in the records it sends us (RFC 9146 3), or undefined when CIDs
 * are off. Random bytes of the configured length: nothing in it links the connection to anything
 * else an observer sees (RFC 9146 8).
 */
export function randomConnectionId(config: ResolvedOptions): Uint8Array | undefined {
  const length = config.connectionIdLength;
  if (length === undefined) return undefined;
  return length === 0 ? new Uint8Array(0) : config.provider.randomBytes(length);
}
