import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import type { ResolvedServerOptions } from '../../../options.js';

/** The server's certificate credentials; a certificate suite is chosen only with them (ECDHE_SIGNED). */
export function serverX509(config: ResolvedServerOptions): NonNullable<ResolvedServerOptions['x509']> {
  const x = config.x509;
  if (!x) throw new DtlsError(AlertDescription.internal_error, 'certificate suite negotiated without x509 credentials');
  return x;
}
