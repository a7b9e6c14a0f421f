import type { CipherSuite } from '../../suites/cipher-suite.js';

/** What a handshake learned (either role), exposed by the connection. */
export interface NegotiatedParameters {
  suite: CipherSuite | undefined;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  masterSecret: Uint8Array | undefined;
  extendedMasterSecret: boolean;
  pskIdentity: Uint8Array | undefined;
  alpnProtocol: string | undefined;
  servername: string | undefined;
  /** The peer's certificate chain (DER, leaf first), in certificate suites. */
  peerCertificates: readonly Uint8Array[];
  /** Whether the peer's chain passed every check (node:tls `authorized`); false when not checked or not sent. */
  authorized: boolean;
  /** Why it did not (with rejectUnauthorized: false the handshake goes on regardless). */
  authorizationError: Error | undefined;
}

/** NegotiatedParameters before anything is negotiated. */
export function emptyNegotiation(clientRandom: Uint8Array, servername: string | undefined): NegotiatedParameters {
  return {
    suite: undefined,
    clientRandom,
    serverRandom: new Uint8Array(0),
    masterSecret: undefined,
    extendedMasterSecret: false,
    pskIdentity: undefined,
    alpnProtocol: undefined,
    servername,
    peerCertificates: [],
    authorized: false,
    authorizationError: undefined,
  };
}
