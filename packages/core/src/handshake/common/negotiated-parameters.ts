import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import { CertificateType } from '../extensions/certificate-type.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import type { NegotiatedSrtp } from '../../srtp/negotiated-srtp.js';
import type { RecordSizeLimit } from './record-size-negotiation.js';
import type { Tls13KeyLogSecrets } from '../../tls13-key-log.js';
import { packBytes } from '../../packed-bytes.js';

const EMPTY = new Uint8Array(0);

/** What a handshake learned (either role), exposed by the connection. */
export interface NegotiatedParameters {
  suite: CipherSuite | undefined;
  /** The TLS 1.3 cipher suite of a DTLS 1.3 connection (RFC 8446 B.4); undefined in DTLS 1.2. */
  tls13Suite: Tls13CipherSuite | undefined;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  masterSecret: Uint8Array | undefined;
  extendedMasterSecret: boolean;
  /** Both sides negotiated encrypt_then_mac for a CBC suite (RFC 7366 3). */
  encryptThenMac: boolean;
  pskIdentity: Uint8Array | undefined;
  alpnProtocol: string | undefined;
  servername: string | undefined;
  /** The peer's certificate chain (DER, leaf first), in certificate suites. */
  peerCertificates: readonly Uint8Array[];
  /**
   * The peer's raw public key (SubjectPublicKeyInfo DER) when it authenticated with one (RFC 7250);
   * peerCertificates is then empty.
   */
  peerRawPublicKey: Uint8Array | undefined;
  /** The certificate types negotiated with RFC 7250's extensions (X.509 when they were not). */
  clientCertificateType: CertificateType;
  serverCertificateType: CertificateType;
  /** Whether the peer's chain passed every check (node:tls `authorized`); false when not checked or not sent. */
  authorized: boolean;
  /** Why it did not (with rejectUnauthorized: false the handshake goes on regardless). */
  authorizationError: Error | undefined;
  /**
   * The connection IDs, when both sides negotiated the connection_id extension (RFC 9146 3):
   * `receive` is the one we asked for (the peer's records carry it), `send` the one the peer
   * asked for (ours carry it). An empty one means plain DTLS 1.2 records in that direction.
   */
  connectionId: { readonly receive: Uint8Array; readonly send: Uint8Array } | undefined;
  /** Both sides exchanged the rrc extension (RFC 9853 3): return routability checks may run. */
  returnRoutabilityCheck: boolean;
  /** This handshake resumed a session (the abbreviated handshake of RFC 5246 7.3). */
  sessionReused: boolean;
  /** Client: the session to resume this one with (getSession(): a ClientSession, encoded), once there is one. */
  session: Uint8Array | undefined;
  /** The DTLS-SRTP profile and MKI both sides agreed on (RFC 5764 4.1.1); undefined when none. */
  srtp: NegotiatedSrtp | undefined;
  /** Record size limits from record_size_limit (RFC 8449) or max_fragment_length (RFC 6066 4); undefined when neither was negotiated. */
  recordSizeLimit: RecordSizeLimit | undefined;
  /** DTLS 1.3: the secrets a key log names (tls13-key-log.ts), once the handshake derived them all. */
  tls13KeyLog?: Tls13KeyLogSecrets;
}

/** NegotiatedParameters before anything is negotiated. */
export function emptyNegotiation(clientRandom: Uint8Array, servername: string | undefined): NegotiatedParameters {
  return {
    suite: undefined,
    tls13Suite: undefined,
    clientRandom,
    serverRandom: EMPTY,
    masterSecret: undefined,
    extendedMasterSecret: false,
    encryptThenMac: false,
    pskIdentity: undefined,
    alpnProtocol: undefined,
    servername,
    peerCertificates: [],
    peerRawPublicKey: undefined,
    clientCertificateType: CertificateType.x509,
    serverCertificateType: CertificateType.x509,
    authorized: false,
    authorizationError: undefined,
    connectionId: undefined,
    returnRoutabilityCheck: false,
    sessionReused: false,
    session: undefined,
    srtp: undefined,
    recordSizeLimit: undefined,
  };
}

/**
 * Once the handshake is over: the randoms, master secret, PSK identity and DTLS 1.3 key log
 * secrets that stay for the connection's life (keyLogLines, exportKeyingMaterial, clientRandom,
 * pskIdentity read them at any time) are copied into one buffer (packed-bytes.ts), and the
 * handshake's own arrays let go. An idle connection holds a few hundred bytes less.
 */
export function packNegotiatedBytes(n: NegotiatedParameters): void {
  const log = n.tls13KeyLog;
  const parts = [n.clientRandom, n.serverRandom, n.masterSecret ?? EMPTY, n.pskIdentity ?? EMPTY];
  if (log !== undefined) parts.push(log.clientHandshakeTraffic, log.serverHandshakeTraffic, log.clientApplicationTraffic0, log.serverApplicationTraffic0, log.exporterMaster);
  const views = packBytes(parts);
  // packBytes returns one view per part: `?? EMPTY` never applies.
  const at = (i: number): Uint8Array => views[i] ?? EMPTY;
  n.clientRandom = at(0);
  n.serverRandom = at(1);
  if (n.masterSecret !== undefined) n.masterSecret = at(2);
  if (n.pskIdentity !== undefined) n.pskIdentity = at(3);
  if (log !== undefined) {
    n.tls13KeyLog = { clientHandshakeTraffic: at(4), serverHandshakeTraffic: at(5), clientApplicationTraffic0: at(6), serverApplicationTraffic0: at(7), exporterMaster: at(8) };
  }
}
