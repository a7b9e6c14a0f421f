import { toHex } from './bytes.js';

/**
 * The TLS 1.3 secrets a key log names (RFC 8446 7.1), as a DTLS 1.3 handshake derives them with
 * RFC 9147 5.9's "dtls13" label prefix: the handshake traffic secrets (epoch 2), the first
 * application traffic secrets (epoch 3, RFC 9147 6.1) and the exporter master secret.
 */
export interface Tls13KeyLogSecrets {
  readonly clientHandshakeTraffic: Uint8Array;
  readonly serverHandshakeTraffic: Uint8Array;
  readonly clientApplicationTraffic0: Uint8Array;
  readonly serverApplicationTraffic0: Uint8Array;
  readonly exporterMaster: Uint8Array;
}

/**
 * The labels of NSS's key log format for TLS 1.3 (firefox-source-docs "NSS Key Log Format";
 * draft-ietf-tls-keylogfile), in the order a handshake derives the secrets, as OpenSSL and
 * wolfSSL write them.
 */
export const TLS13_KEY_LOG_LABELS = {
  clientHandshakeTraffic: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  serverHandshakeTraffic: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  clientApplicationTraffic0: 'CLIENT_TRAFFIC_SECRET_0',
  serverApplicationTraffic0: 'SERVER_TRAFFIC_SECRET_0',
  exporterMaster: 'EXPORTER_SECRET',
} as const satisfies Record<keyof Tls13KeyLogSecrets, string>;

const ORDER: ReadonlyArray<keyof Tls13KeyLogSecrets> = ['clientHandshakeTraffic', 'serverHandshakeTraffic', 'clientApplicationTraffic0', 'serverApplicationTraffic0', 'exporterMaster'];

/**
 * The key log lines of a DTLS 1.3 session, without newlines: `<LABEL> <client random> <secret>`
 * in lowercase hex, the ClientHello's random naming the session (the same in the ClientHello that
 * answers a HelloRetryRequest, RFC 8446 4.1.2), so that Wireshark can decrypt a capture.
 */
export function tls13KeyLogLines(clientRandom: Uint8Array, secrets: Tls13KeyLogSecrets): string[] {
  const random = toHex(clientRandom);
  return ORDER.map((name) => `${TLS13_KEY_LOG_LABELS[name]} ${random} ${toHex(secrets[name])}`);
}
