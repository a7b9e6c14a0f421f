import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import type { ResolvedClientOptions } from '../../../options.js';

/** The client's certificate credentials; a certificate suite is offered only with them (resolveClientOptions). */
export function clientX509(config: ResolvedClientOptions): NonNullable<ResolvedClientOptions['x509']> {
  const x = config.x509;
  if (!x) throw new DtlsError(AlertDescription.internal_error, 'certificate suite negotiated without x509 credentials');
  return x;
}
