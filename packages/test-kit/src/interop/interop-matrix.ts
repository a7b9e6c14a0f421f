/**
 * What the PSK and certificate interop matrices share: the four cells (our side against each
 * peer's server and client), the peers they need, and the messages each cell echoes.
 */
import { requireBinary } from '../peers/process.js';

/** Our client against the peer's server ('...-server') or the peer's client against our server ('...-client'). */
export type InteropCell = 'openssl-server' | 'openssl-client' | 'gnutls-server' | 'gnutls-client';

export const INTEROP_CELLS: readonly InteropCell[] = ['openssl-server', 'openssl-client', 'gnutls-server', 'gnutls-client'];

/** The peer binaries the interop tests run. */
export const INTEROP_PEERS = ['openssl', 'gnutls-serv', 'gnutls-cli'] as const;

/** The absolute path of each peer binary; throws for a missing one: interop fails, it never skips. */
export function requireInteropPeers(): string[] {
  return INTEROP_PEERS.map((binary) => requireBinary(binary));
}

/**
 * Three messages for one cell, each its own record. Each fits one record within the smallest
 * MTU the matrices give gnutls-serv: it refuses (EMSGSIZE) to send application data larger
 * than its MTU allows.
 */
export function interopMessages(suite: string, cell: InteropCell): string[] {
  return [`hello ${suite} ${cell}`, `second message ${'x'.repeat(40)}`, `third ${suite}`];
}

/** The PSK suites OpenSSL 3.0 offers in DTLS 1.2, by OpenSSL name. */
export const OPENSSL_PSK_SUITES = [
  'PSK-AES128-GCM-SHA256',
  'PSK-AES256-GCM-SHA384',
  'PSK-AES128-CCM',
  'PSK-AES128-CCM8',
  'PSK-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305',
] as const;

export type OpensslPskSuite = (typeof OPENSSL_PSK_SUITES)[number];
