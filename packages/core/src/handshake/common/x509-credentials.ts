import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { ResolvedClientOptions, ResolvedServerOptions } from '../../options.js';

/**
 * The certificate credentials of a handshake in a certificate suite. Such a suite is offered
 * (client) or chosen (server) only with them (resolveClientOptions, ECDHE_SIGNED.server), so
 * their absence is our own error, never the peer's.
 */
export function x509Credentials<C extends ResolvedClientOptions | ResolvedServerOptions>(config: C): NonNullable<C['x509']> {
  const x = config.x509;
  if (!x) throw new DtlsError(AlertDescription.internal_error, 'certificate suite negotiated without x509 credentials');
  return x;
}
