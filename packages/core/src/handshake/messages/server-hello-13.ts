import { bytesEqual, fromHex } from '../../bytes.js';
import { IllegalParameterError } from '../../errors.js';
import type { Extension } from '../extensions/extension.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { DTLS_1_2 } from '../protocol-version.js';
import type { ServerHello } from './server-hello.js';

/*
 * RFC 8446 4.1.3 and RFC 9147 5.4: the DTLS 1.3 ServerHello keeps the 1.2 wire layout
 * (server-hello.ts) with legacy_version = 0xfefd ("the same as the TLS 1.3 ServerHello message,
 * except that the legacy_version field is set to 0xfefd"), legacy_session_id_echo echoing the
 * client's, legacy_compression_method 0, and the version in supported_versions.
 * A HelloRetryRequest is a ServerHello whose random is the SHA-256 of "HelloRetryRequest"
 * (RFC 8446 4.1.3); in DTLS 1.3 it also carries the cookie (RFC 9147 5.1).
 */

/** RFC 8446 4.1.3: the Random that marks a ServerHello as a HelloRetryRequest. */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

export type Dtls13ServerHelloKind = 'server_hello' | 'hello_retry_request';

export interface Dtls13ServerHelloFields {
  /** Ignored for a HelloRetryRequest, whose random is fixed. */
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  extensions: Extension[];
}

/** A ServerHello with the legacy fields RFC 9147 5.4 / RFC 8446 4.1.3 prescribe. */
export function dtls13ServerHello(f: Dtls13ServerHelloFields): ServerHello {
  return {
    serverVersion: DTLS_1_2,
    random: f.random,
    sessionId: f.legacySessionIdEcho,
    cipherSuite: f.cipherSuite,
    compressionMethod: 0,
    extensions: f.extensions,
  };
}

/** A HelloRetryRequest: a ServerHello with HELLO_RETRY_REQUEST_RANDOM (RFC 8446 4.1.4). */
export function dtls13HelloRetryRequest(f: Omit<Dtls13ServerHelloFields, 'random'>): ServerHello {
  return dtls13ServerHello({ ...f, random: HELLO_RETRY_REQUEST_RANDOM.slice() });
}

export function isHelloRetryRequest(hello: ServerHello): boolean {
  return bytesEqual(hello.random, HELLO_RETRY_REQUEST_RANDOM);
}

/**
 * The client's checks of a DTLS 1.3 ServerHello or HelloRetryRequest (RFC 8446 4.1.3, 4.1.4: a
 * HelloRetryRequest gets the same ones), each an illegal_parameter ("a field ... incorrect or
 * inconsistent with other fields", RFC 8446 6.2):
 * - legacy_version must be DTLS 1.2 (RFC 9147 5.4);
 * - "A client which receives a legacy_session_id_echo field that does not match what it sent in
 *   the ClientHello MUST abort the handshake with an "illegal_parameter" alert.";
 * - legacy_compression_method "MUST have the value 0".
 * Returns which of the two messages it is.
 */
export function checkDtls13ServerHello(hello: ServerHello, sentSessionId: Uint8Array): Dtls13ServerHelloKind {
  if (hello.serverVersion !== DTLS_1_2) {
    throw new IllegalParameterError(`DTLS 1.3 ServerHello: legacy_version 0x${hello.serverVersion.toString(16)}, not 0xfefd`);
  }
  if (!bytesEqual(hello.sessionId, sentSessionId)) {
    throw new IllegalParameterError('DTLS 1.3 ServerHello: legacy_session_id_echo differs from the session ID we sent');
  }
  if (hello.compressionMethod !== 0) {
    throw new IllegalParameterError(`DTLS 1.3 ServerHello: legacy_compression_method ${hello.compressionMethod}, not 0`);
  }
  return isHelloRetryRequest(hello) ? 'hello_retry_request' : 'server_hello';
}

/**
 * RFC 8446 4.1.4: "Clients MUST abort the handshake with an "illegal_parameter" alert if the
 * HelloRetryRequest would not result in any change in the ClientHello." Of the extensions a
 * HelloRetryRequest may carry (supported_versions, cookie, key_share), only the last two change
 * the second ClientHello; without either the request asks for nothing.
 */
export function checkHelloRetryRequestAsksForChange(hrr: ServerHello): void {
  const changes =
    findExtension(hrr.extensions, ExtensionType.cookie) !== undefined || findExtension(hrr.extensions, ExtensionType.key_share) !== undefined;
  if (!changes) throw new IllegalParameterError('HelloRetryRequest carries neither a cookie nor a key_share: nothing would change');
}

/**
 * The client's check of the cipher suite a ServerHello or HelloRetryRequest chose, each failure an
 * illegal_parameter: RFC 8446 4.1.3, "A client which receives a cipher suite that was not offered
 * MUST abort the handshake with an "illegal_parameter" alert"; 4.1.4, after a HelloRetryRequest the
 * client "MUST check that the cipher_suite in the ServerHello is the same as that in the
 * HelloRetryRequest".
 */
export function checkServerCipherSuite(selected: number, offered: readonly number[], retrySuite?: number): void {
  if (!offered.includes(selected)) throw new IllegalParameterError(`the server chose cipher suite 0x${selected.toString(16)}, which we did not offer`);
  if (retrySuite !== undefined && selected !== retrySuite) {
    throw new IllegalParameterError(`ServerHello cipher suite 0x${selected.toString(16)} differs from the HelloRetryRequest's 0x${retrySuite.toString(16)}`);
  }
}
