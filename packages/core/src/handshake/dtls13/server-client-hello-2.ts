import { AlertDescription } from '../../alert.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { MESSAGE_HASH_TYPE, tlsHandshakeMessage, Transcript13 } from '../../crypto/transcript-13.js';
import type { VerifiedDtls13Hello } from '../../endpoint/cookie-check.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import { tls13CipherSuiteById, type Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeKeyShareClientHello, type KeyShareEntry } from '../extensions/key-share.js';
import { HandshakeType } from '../handshake-type.js';
import { checkDtls13ClientHello, offersDtls13 } from '../messages/client-hello-13.js';
import { decodeClientHello, type ClientHello } from '../messages/client-hello.js';
import { helloRetryRequestBody } from './hello-retry-request.js';

/** The second ClientHello, read against what the cookie brought back: where the server's 1.3 handshake starts. */
export interface ClientHello2 {
  readonly hello: ClientHello;
  /** Its body, as received (the binders and the transcript hash these bytes). */
  readonly body: Uint8Array;
  readonly suite: Tls13CipherSuite;
  readonly kdf: LabelledHkdf;
  /** message_hash(ClientHello1), HelloRetryRequest: the transcript before ClientHello2 (RFC 8446 4.4.1). */
  readonly transcript: Transcript13;
  /** The client's share for the group the HelloRetryRequest asked for, or its share for our most preferred group; undefined without any. */
  readonly share: KeyShareEntry | undefined;
}

/**
 * Reads the ClientHello whose cookie verified (RFC 9147 5.1) and rebuilds the transcript the two
 * sides share (RFC 8446 4.4.1: "the value of ClientHello1 is replaced with a special synthetic
 * handshake message of handshake type "message_hash" containing Hash(ClientHello1)", then the
 * HelloRetryRequest, rebuilt byte for byte from the cookie). Checks what RFC 8446 4.1.2 and 4.2.8
 * require of a ClientHello answering a HelloRetryRequest: still DTLS 1.3, the suite still offered,
 * and, when a group was asked for, "only a new KeyShareEntry for the group indicated in the
 * selected_group field" (illegal_parameter otherwise).
 */
export function readClientHello2(provider: CryptoProvider, body: Uint8Array, retry: VerifiedDtls13Hello, groups: readonly number[]): ClientHello2 {
  const hello = decodeClientHello(body);
  checkDtls13ClientHello(hello);
  if (!offersDtls13(hello)) throw new IllegalParameterError('the ClientHello after our HelloRetryRequest no longer offers DTLS 1.3');
  const suite = tls13CipherSuiteById(retry.cipherSuite);
  if (suite === undefined || !hello.cipherSuites.includes(suite.id)) {
    throw new IllegalParameterError(`the ClientHello after our HelloRetryRequest no longer offers cipher suite 0x${retry.cipherSuite.toString(16)}`);
  }
  const sharesExt = findExtension(hello.extensions, ExtensionType.key_share);
  const shares = sharesExt === undefined ? [] : decodeKeyShareClientHello(sharesExt.data);
  if (retry.selectedGroup !== undefined) {
    const only = shares[0];
    if (shares.length !== 1 || only === undefined || only.group !== retry.selectedGroup) {
      throw new IllegalParameterError(`the ClientHello after our HelloRetryRequest must carry one key share, for group ${retry.selectedGroup}`);
    }
  }
  const kdf: LabelledHkdf = { provider, hash: suite.hash, labelPrefix: DTLS13_LABEL_PREFIX };
  const transcript = new Transcript13();
  if (retry.clientHello1Hash.length !== provider.hash(suite.hash, new Uint8Array(0)).length) {
    throw new DtlsError(AlertDescription.internal_error, 'the cookie holds a hash of another length than its suite');
  }
  transcript.addTlsMessage(tlsHandshakeMessage(MESSAGE_HASH_TYPE, retry.clientHello1Hash));
  transcript.add(
    HandshakeType.server_hello,
    helloRetryRequestBody({ legacySessionId: hello.sessionId, cipherSuite: suite.id, selectedGroup: retry.selectedGroup, cookie: retry.cookie }),
  );
  // Without a group asked for, the share of our most preferred group (server-hello-choice.ts):
  // never one of a group the server's `groups` leaves out (X25519MLKEM768 is off by default).
  const share = retry.selectedGroup !== undefined ? shares[0] : groups.map((id) => shares.find((s) => s.group === id)).find((s) => s !== undefined);
  return { hello, body, suite, kdf, transcript, share };
}
