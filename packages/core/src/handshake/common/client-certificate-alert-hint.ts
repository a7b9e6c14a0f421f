import { AlertDescription } from '../../alert.js';

/**
 * What our last flight answered to a CertificateRequest (RFC 5246 7.4.4, 7.4.6; RFC 8446 4.4.2):
 * nothing was asked; our certificate went out; or an empty Certificate, because we have none or
 * ours does not fit the request's certificate types and signature schemes.
 */
export type ClientCertificateOutcome = 'not-requested' | 'sent' | 'none' | 'unsuitable';

/**
 * Alerts a server sends about a client certificate it does not accept (RFC 5246 7.2.2), and in
 * TLS 1.3 certificate_required: "a client certificate is desired but none was provided" (RFC 8446 6.2).
 */
const CERTIFICATE_ALERTS: ReadonlySet<AlertDescription> = new Set([
  AlertDescription.bad_certificate,
  AlertDescription.unsupported_certificate,
  AlertDescription.certificate_revoked,
  AlertDescription.certificate_expired,
  AlertDescription.certificate_unknown,
  AlertDescription.unknown_ca,
  AlertDescription.access_denied,
  AlertDescription.certificate_required,
]);

/** What a server's fatal alert after our last flight says about our client certificate; undefined: nothing. */
export function clientCertificateAlertHint(outcome: ClientCertificateOutcome, description: AlertDescription): string | undefined {
  if (outcome === 'none' || outcome === 'unsuitable') {
    if (description === AlertDescription.handshake_failure || CERTIFICATE_ALERTS.has(description)) {
      return outcome === 'none'
        ? 'the server asked for a client certificate (CertificateRequest) and we have none to send: an empty Certificate went out'
        : 'the server asked for a client certificate (CertificateRequest) of a type or signature scheme ours cannot make: an empty Certificate went out';
    }
  }
  if (outcome === 'sent' && CERTIFICATE_ALERTS.has(description)) return 'the server did not accept our client certificate';
  return undefined;
}
