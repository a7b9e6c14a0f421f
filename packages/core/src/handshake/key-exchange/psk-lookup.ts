import { AlertDescription } from '../../alert.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { PskIdentityKey } from '../../key-exchange/psk-credentials.js';
import type { ResolvedClientOptions, ResolvedServerOptions } from '../../options.js';
import type { AwaitValue } from './key-exchange.js';

/** The PSK credentials of a handshake in a PSK suite, offered or chosen only with them (resolve*Options): their absence is our own error. */
function pskCredentials<C extends ResolvedClientOptions | ResolvedServerOptions>(config: C): NonNullable<C['psk']> {
  const psk = config.psk;
  if (!psk) throw new DtlsError(AlertDescription.internal_error, 'PSK suite negotiated without PSK credentials');
  return psk;
}

/**
 * The client's identity and key for the server's hint (RFC 4279 2: an empty hint is no hint),
 * through `wait` since the application may answer asynchronously.
 */
export function resolveClientPsk<R>(
  config: ResolvedClientOptions,
  hint: Uint8Array | undefined,
  wait: AwaitValue<R>,
  then: (identityKey: PskIdentityKey) => R,
): R {
  const psk = pskCredentials(config);
  return wait(psk.resolve(hint !== undefined && hint.length > 0 ? hint : undefined), 'PSK resolve', (idk) => {
    // RFC 4279 2: psk_identity is opaque <0..2^16-1>; a PSK of 0 or more than 2^16-1 bytes cannot be encoded.
    if (idk.identity.length > 0xffff || idk.key.length === 0 || idk.key.length > 0xffff) {
      throw new DtlsError(AlertDescription.internal_error, 'PSK identity or key has an invalid length');
    }
    return then(idk);
  });
}

/**
 * The server's key for the client's identity: refused unread when longer than we accept,
 * otherwise `record` (the ClientKeyExchange enters the transcript) and the lookup.
 */
export function lookupServerPsk<R>(
  config: ResolvedServerOptions,
  identity: Uint8Array,
  record: () => void,
  wait: AwaitValue<R>,
  then: (key: Uint8Array) => R,
): R {
  if (identity.length > config.maxPskIdentityLength) {
    // Refused with a reason, never looked up: RFC 5246 7.2.2 illegal_parameter (the field is
    // well formed but out of the range we accept; OpenSSL says decode_error, BoringSSL this).
    throw new IllegalParameterError(
      `the client's PSK identity of ${identity.length} bytes exceeds maxPskIdentityLength (${config.maxPskIdentityLength})`,
    );
  }
  record();
  const psk = pskCredentials(config);
  return wait(psk.lookup(identity), 'PSK lookup', (key) => {
    // RFC 4279 2: an identity we have no key for ends the handshake with unknown_psk_identity.
    if (key === undefined || key.length === 0) {
      throw new DtlsError(AlertDescription.unknown_psk_identity, 'the client sent an identity we have no key for');
    }
    return then(key);
  });
}
