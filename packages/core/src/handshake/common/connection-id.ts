import { nodeCryptoProvider } from '../../crypto/node-provider.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { DtlsError } from '../../errors.js';
import { AlertDescription } from '../../alert.js';
import type { ResolvedOptions } from '../../options.js';

/**
 * Makes the CID we ask the peer to put in the records it sends us (RFC 9146 3: the receiver
 * chooses its CID), `length` bytes long. A server behind a load balancer makes CIDs the balancer
 * can route by (e.g. a server id followed by random bytes); it must never return the same CID
 * for two live connections of one endpoint.
 */
export type ConnectionIdGenerator = (length: number) => Uint8Array;

/**
 * The default generator: `serverId` (default empty) followed by random bytes from `provider`
 * up to the length asked for. The random part keeps a CID unguessable and unlinkable to other
 * connections (RFC 9146 8), the prefix lets a load balancer route by server.
 */
export function defaultConnectionIdGenerator(
  options: { readonly serverId?: Uint8Array; readonly provider?: CryptoProvider } = {},
): ConnectionIdGenerator {
  const serverId = (options.serverId ?? new Uint8Array(0)).slice();
  const provider = options.provider ?? nodeCryptoProvider;
  return (length: number): Uint8Array => {
    if (!Number.isInteger(length) || length < serverId.length) {
      throw new RangeError(`a connection ID of ${String(length)} bytes cannot hold the ${serverId.length}-byte server id`);
    }
    const cid = new Uint8Array(length);
    cid.set(serverId, 0);
    if (length > serverId.length) cid.set(provider.randomBytes(length - serverId.length), serverId.length);
    return cid;
  };
}

/**
 * The CID we ask the peer to put in the records it sends us (RFC 9146 3), or undefined when CIDs
 * are off; made by the configured generator, once per connection. A generator that returns
 * anything but `length` bytes is our own fault, not the peer's: the handshake ends with
 * internal_error (RFC 5246 7.2.2) rather than with a CID the peer would frame wrongly.
 */
export function newConnectionId(config: ResolvedOptions): Uint8Array | undefined {
  const length = config.connectionIdLength;
  const generate = config.connectionIdGenerator;
  if (length === undefined || generate === undefined) return undefined;
  if (length === 0) return new Uint8Array(0);
  const cid: unknown = generate(length);
  if (!(cid instanceof Uint8Array) || cid.length !== length) {
    const got = cid instanceof Uint8Array ? `${cid.length} bytes` : typeof cid;
    throw new DtlsError(AlertDescription.internal_error, `connectionId.generate returned ${got}; connectionId.length is ${length}`);
  }
  return cid.slice();
}
