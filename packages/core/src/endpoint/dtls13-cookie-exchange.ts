import { AlertLevel } from '../alert.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { tlsHandshakeMessage } from '../crypto/transcript-13.js';
import { DtlsError } from '../errors.js';
import { helloRetryRequestBody } from '../handshake/dtls13/hello-retry-request.js';
import { chooseForClientHello13, type Dtls13ServerPolicy } from '../handshake/dtls13/server-hello-choice.js';
import { decodeCookie } from '../handshake/extensions/cookie.js';
import { findExtension } from '../handshake/extensions/extension.js';
import { ExtensionType } from '../handshake/extensions/extension-type.js';
import { encodeHandshakeFragment } from '../handshake/handshake-header.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { checkDtls13ClientHello } from '../handshake/messages/client-hello-13.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';
import { DTLS_1_2 } from '../handshake/protocol-version.js';
import { ContentType } from '../record/content-type.js';
import { encodeRecord, MAX_SEQUENCE_NUMBER } from '../record/record-header.js';
import type { VerifyResult } from './cookie-check.js';
import type { CookieJar } from './cookie.js';
import { makeHelloRetryCookie, openHelloRetryCookie } from './hello-retry-cookie.js';

/** Epoch-0 records the server may still need after the second ClientHello (its ServerHello fragments, alerts). */
const EPOCH0_HEADROOM = 0x1_0000;

/** A DTLS 1.3 ClientHello as the cookie check holds it. */
export interface Dtls13HelloArrival {
  readonly peer: string;
  readonly hello: ClientHello;
  /** The whole ClientHello body, as reassembled. */
  readonly body: Uint8Array;
  readonly messageSeq: number;
  /** The record sequence number of its (last) record: the HelloRetryRequest's (as RFC 6347 4.2.1 has for HelloVerifyRequest). */
  readonly recordSeq: number;
  readonly datagram: Uint8Array;
  /** Bytes the answer may take: those of every datagram that carried the ClientHello (no amplification). */
  readonly budget: number;
}

/**
 * The stateless cookie exchange of RFC 9147 5.1 for a ClientHello the server answers with DTLS 1.3
 * (version-selection.ts). Without a cookie extension the client gets a HelloRetryRequest carrying
 * a cookie that authenticates its address and holds what the server will need (the suite, the
 * group asked for, Hash(ClientHello1): hello-retry-cookie.ts), and the server keeps nothing. With
 * a cookie that verifies, the ClientHello goes on to a connection with that state; with one that
 * does not, it is dropped (a stateless server cannot tell a stale cookie from a forged one, and a
 * second HelloRetryRequest would only make the client abort: RFC 8446 4.1.4). The reply is never
 * larger than what the client sent.
 */
export function dtls13CookieExchange(a: Dtls13HelloArrival, jar: CookieJar, provider: CryptoProvider, policy: Dtls13ServerPolicy, now: number, wallNow: number = now): VerifyResult {
  try {
    checkDtls13ClientHello(a.hello);
    const cookieExt = findExtension(a.hello.extensions, ExtensionType.cookie);
    if (cookieExt !== undefined) {
      // RFC 9147 5.2: "The first message each side transmits in each association always has
      // message_seq = 0": ClientHello1 and our HelloRetryRequest take 0, so the ClientHello with
      // the cookie is 1. Any other would have the server's flight number on from it (past 2^16 - 1).
      if (a.messageSeq !== 1) return { type: 'drop', reason: `ClientHello with a cookie at message_seq ${a.messageSeq}, not 1`, code: 'malformed' };
      // Our records of epoch 0 continue from its record sequence number (RFC 6347 4.2.1, as for the
      // HelloRetryRequest, RFC 9147 5.1): one too close to 2^48 - 1 would leave the ServerHello none.
      if (a.recordSeq > MAX_SEQUENCE_NUMBER - EPOCH0_HEADROOM) return { type: 'drop', reason: `ClientHello at record sequence number ${a.recordSeq}, too close to 2^48`, code: 'malformed' };
      const state = openHelloRetryCookie(jar, a.peer, a.hello, decodeCookie(cookieExt.data), now, wallNow);
      if (state === undefined) return { type: 'drop', reason: 'HelloRetryRequest cookie does not verify', code: 'badMac' };
      return {
        type: 'verified',
        hello: { body: a.body, messageSeq: a.messageSeq, recordSeq: a.recordSeq, datagram: a.datagram, dtls13: { ...state, cookie: cookieExt.data.slice(2) } },
      };
    }
    const choice = chooseForClientHello13(a.hello, policy);
    const clientHello1Hash = provider.hash(choice.suite.hash, tlsHandshakeMessage(HandshakeType.client_hello, a.body));
    const state = { cipherSuite: choice.suite.id, selectedGroup: choice.retryGroup, clientHello1Hash };
    const cookie = makeHelloRetryCookie(jar, a.peer, a.hello, state, now, wallNow);
    const body = helloRetryRequestBody({ legacySessionId: a.hello.sessionId, cipherSuite: choice.suite.id, selectedGroup: choice.retryGroup, cookie });
    // RFC 9147 5.1/5.2: the HelloRetryRequest is an epoch-0 DTLSPlaintext record (legacy version
    // DTLS 1.2) with the ClientHello's message_seq, like the HelloVerifyRequest it replaces.
    const reply = encodeRecord(
      { type: ContentType.handshake, version: DTLS_1_2, epoch: 0, sequenceNumber: a.recordSeq },
      encodeHandshakeFragment({ msgType: HandshakeType.server_hello, length: body.length, messageSeq: a.messageSeq, fragmentOffset: 0, body }),
    );
    if (reply.length > a.budget) return { type: 'drop', reason: 'HelloRetryRequest would be larger than the ClientHello', code: 'amplification' };
    return { type: 'reply', datagram: reply };
  } catch (err) {
    if (!(err instanceof DtlsError)) throw err;
    // A fatal alert (2 bytes of body: smaller than any ClientHello), and nothing kept.
    const alert = encodeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, sequenceNumber: a.recordSeq }, new Uint8Array([AlertLevel.fatal, err.alert]));
    return { type: 'reply', datagram: alert };
  }
}
