import { AlertDescription } from '../../alert.js';
import { DecodeError, DtlsError, IllegalParameterError } from '../../errors.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import { type Extension, findExtension } from './extension.js';
import { ExtensionType } from './extension-type.js';

/*
 * RFC 7366 2: encrypt_then_mac (22), "The "extension_data" field of this extension SHALL be
 * empty", in the ClientHello and in the ServerHello. Negotiated, it changes only the records of
 * CBC suites (RFC 7366 3).
 */

/** What decides our side of encrypt_then_mac: the suites we offer and whether MAC-then-encrypt is refused. */
export interface EncryptThenMacPolicy {
  readonly suites: readonly CipherSuite[];
  /** Offer (client) and accept (server) encrypt_then_mac; false only to talk MAC-then-encrypt (OpenSSL's -no_etm). */
  readonly encryptThenMac: boolean;
  /** RFC 7366 5 leaves it to policy: refuse CBC without encrypt-then-MAC. */
  readonly requireEncryptThenMac: boolean;
}

function decodeEncryptThenMac(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError(`encrypt_then_mac: extension_data must be empty, has ${data.length} bytes`);
}

/** The extension a client offers: only when it offers a CBC suite (it means nothing to an AEAD one). */
export function offerEncryptThenMac(policy: EncryptThenMacPolicy): Extension | undefined {
  return policy.encryptThenMac && policy.suites.some((s) => s.cbc !== undefined) ? { type: ExtensionType.encrypt_then_mac, data: new Uint8Array(0) } : undefined;
}

/**
 * Whether a server may choose `suite` for this ClientHello: not a CBC suite without encrypt_then_mac
 * when MAC-then-encrypt is refused (the server then picks another suite, or finds none in common).
 */
export function encryptThenMacAllows(clientHelloExtensions: readonly Extension[], suite: CipherSuite, policy: EncryptThenMacPolicy): boolean {
  return suite.cbc === undefined || !policy.requireEncryptThenMac || findExtension(clientHelloExtensions, ExtensionType.encrypt_then_mac) !== undefined;
}

/**
 * The server's answer to the ClientHello's extensions once `suite` is chosen: the extension when the
 * client offered it, the suite is CBC (RFC 7366 3: never with an AEAD or stream suite) and we
 * have not turned encrypt-then-MAC off; else undefined.
 */
export function answerEncryptThenMac(clientHelloExtensions: readonly Extension[], suite: CipherSuite, policy: EncryptThenMacPolicy): Extension | undefined {
  const offered = findExtension(clientHelloExtensions, ExtensionType.encrypt_then_mac);
  if (offered) decodeEncryptThenMac(offered.data);
  if (suite.cbc === undefined || !offered || !policy.encryptThenMac) return undefined;
  return { type: ExtensionType.encrypt_then_mac, data: new Uint8Array(0) };
}

/**
 * The client's check of the ServerHello: whether encrypt-then-MAC is in force. A server that
 * answers it with a non-CBC suite breaks RFC 7366 3 (illegal_parameter); one that does not answer
 * it with a CBC suite is refused when MAC-then-encrypt is (handshake_failure). That the server
 * answers only what we offered is checked with every extension.
 */
export function acceptEncryptThenMac(serverHelloExtensions: readonly Extension[], suite: CipherSuite, policy: EncryptThenMacPolicy): boolean {
  const answered = findExtension(serverHelloExtensions, ExtensionType.encrypt_then_mac);
  if (answered) {
    decodeEncryptThenMac(answered.data);
    if (suite.cbc === undefined) throw new IllegalParameterError(`server answered encrypt_then_mac with ${suite.name}, not a CBC suite (RFC 7366 3)`);
    return true;
  }
  if (suite.cbc !== undefined && policy.requireEncryptThenMac) {
    throw new DtlsError(AlertDescription.handshake_failure, `server does not negotiate encrypt_then_mac (RFC 7366) for ${suite.name}, which is required (requireEncryptThenMac)`);
  }
  return false;
}
