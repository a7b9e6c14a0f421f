import { AlertDescription } from '../../alert.js';
import type { ClientCertificateOutcome } from '../common/client-certificate-alert-hint.js';
import type { FlightMessage } from '../common/flight.js';
import { HandshakeType } from '../handshake-type.js';
import type { OfferedPsk13 } from './client-resumption-offer.js';

/**
 * What a server's fatal alert to our DTLS 1.3 ClientHello says about the PSKs it offered: a server
 * that knows our identity but holds another key computes another binder, and "MUST abort the
 * handshake" (RFC 8446 4.2.11) with decrypt_error ("unable to ... validate ... a PSK binder",
 * RFC 8446 6.2). The 1.3 counterpart of a 1.2 server that cannot verify our Finished.
 */
export function pskBinderAlertHint(psks: readonly OfferedPsk13[], description: AlertDescription): string | undefined {
  if (description !== AlertDescription.decrypt_error || psks.length === 0) return undefined;
  return psks.some((p) => p.kind === 'external')
    ? 'the server could not verify our PSK binder: it holds another key for our identity (a different pre-shared key?)'
    : 'the server could not verify the binder of the session we resumed (RFC 8446 4.2.11)';
}

/**
 * What our last DTLS 1.3 flight answered to a CertificateRequest (RFC 8446 4.4.2): `asked` when
 * the server sent one; our certificate went out when a CertificateVerify did (4.4.3), else an
 * empty Certificate: none to send (no signer) or none that fits the request.
 */
export function clientCertificateOutcome13(asked: boolean, flight: readonly FlightMessage[], haveCertificate: boolean): ClientCertificateOutcome {
  if (!asked) return 'not-requested';
  if (flight.some((m) => m.kind === 'handshake' && m.msgType === HandshakeType.certificate_verify)) return 'sent';
  return haveCertificate ? 'unsuitable' : 'none';
}
