import { IllegalParameterError } from '../../errors.js';
import type { Extension } from '../extensions/extension.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeSupportedVersionsClientHello } from '../extensions/supported-versions.js';
import { DTLS_1_2, DTLS_1_3 } from '../protocol-version.js';
import type { ClientHello } from './client-hello.js';

/*
 * RFC 9147 5.3: the DTLS 1.3 ClientHello keeps DTLS 1.2's wire layout (client-hello.ts encodes
 * and decodes both); 1.3 fixes the legacy fields:
 *   legacy_version = {254, 253} (DTLS 1.2), the real offer being in supported_versions;
 *   legacy_cookie empty ("A DTLS 1.3-only client MUST set the legacy_cookie field to zero length");
 *   legacy_compression_methods = [0] (RFC 8446 4.1.2);
 *   extensions<8..2^16-1>.
 */

export interface Dtls13ClientHelloFields {
  random: Uint8Array;
  /** RFC 9147 5.3: a session ID cached from a pre-1.3 server, else empty. */
  legacySessionId?: Uint8Array;
  cipherSuites: number[];
  extensions: Extension[];
}

/** A ClientHello with the legacy fields RFC 9147 5.3 prescribes. */
export function dtls13ClientHello(f: Dtls13ClientHelloFields): ClientHello {
  return {
    clientVersion: DTLS_1_2,
    random: f.random,
    sessionId: f.legacySessionId ?? new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: f.cipherSuites,
    compressionMethods: [0],
    extensions: f.extensions,
  };
}

/**
 * Whether a ClientHello offers DTLS 1.3: RFC 8446 4.2.1, only supported_versions says so ("servers
 * MUST NOT use the ClientHello.legacy_version value for version negotiation" when it is present).
 * DecodeError when the extension is malformed.
 */
export function offersDtls13(hello: ClientHello): boolean {
  const ext = findExtension(hello.extensions, ExtensionType.supported_versions);
  return ext !== undefined && decodeSupportedVersionsClientHello(ext.data).includes(DTLS_1_3);
}

/**
 * The server's checks of a ClientHello it answers with DTLS 1.3, each an illegal_parameter:
 * RFC 9147 5.3: "If a DTLS 1.3 ClientHello is received with any other value in this field [a
 * non-empty legacy_cookie], the server MUST abort the handshake with an "illegal_parameter" alert."
 * RFC 8446 4.1.2: legacy_compression_methods "MUST contain exactly one byte, set to zero ... If a
 * TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the
 * handshake with an "illegal_parameter" alert."
 * legacy_version is not checked: 4.2.1 tells servers to ignore it once supported_versions is there.
 */
export function checkDtls13ClientHello(hello: ClientHello): void {
  if (hello.cookie.length !== 0) {
    throw new IllegalParameterError(`DTLS 1.3 ClientHello: legacy_cookie must be empty, got ${hello.cookie.length} bytes`);
  }
  if (hello.compressionMethods.length !== 1 || hello.compressionMethods[0] !== 0) {
    throw new IllegalParameterError(`DTLS 1.3 ClientHello: legacy_compression_methods must be [0], got [${hello.compressionMethods.join(', ')}]`);
  }
}
