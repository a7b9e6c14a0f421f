import { AlertDescription, AlertLevel } from '../alert.js';
import type { ServerOptions } from '../config.js';
import { DtlsConnection } from '../connection.js';
import { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from '../handshake/handshake-header.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { decodeClientHello } from '../handshake/messages/client-hello.js';
import { encodeHelloVerifyRequest } from '../handshake/messages/hello-verify-request.js';
import { DTLS_1_0, DTLS_1_2 } from '../handshake/protocol-version.js';
import { resolveServerOptions, type ResolvedServerOptions } from '../options.js';
import { ContentType } from '../record/content-type.js';
import { splitRecords } from '../record/datagram.js';
import { encodeRecord, MAX_PLAINTEXT_LENGTH } from '../record/record-header.js';
import { ClientHelloFragments } from './client-hello-fragments.js';
import { CookieJar } from './cookie.js';

/** What the endpoint decided about a datagram from a peer that has no connection yet. */
export type EndpointResult =
  /** Nothing to do: not a ClientHello, malformed, or otherwise not worth an answer. */
  | { readonly type: 'drop'; readonly reason: string }
  /** Send this datagram back (a HelloVerifyRequest or an alert) and forget the peer. */
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  /** The cookie verified: a new connection that has already consumed the datagram. */
  | { readonly type: 'accept'; readonly connection: DtlsConnection };

/** A ClientHello whose cookie verified: what DtlsConnection.acceptVerified needs (structured-clonable). */
export interface VerifiedClientHello {
  readonly body: Uint8Array;
  readonly messageSeq: number;
  readonly recordSeq: number;
  readonly datagram: Uint8Array;
}

/** What ServerEndpoint.verify decided: like EndpointResult, but no connection is built. */
export type VerifyResult =
  | { readonly type: 'drop'; readonly reason: string }
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  | { readonly type: 'verified'; readonly hello: VerifiedClientHello };

/**
 * The stateless front door of a DTLS server (RFC 6347 4.2.1). A ClientHello without a valid
 * cookie gets a HelloVerifyRequest and leaves nothing behind; only a ClientHello whose cookie
 * proves the client receives at its address creates a connection. The reply is never larger
 * than the datagram that caused it, so a spoofed source cannot use us to amplify.
 */
export class ServerEndpoint {
  readonly options: ResolvedServerOptions;
  private cookies: CookieJar | undefined;
  private readonly fragments = new ClientHelloFragments();

  constructor(options: ServerOptions) {
    this.options = resolveServerOptions(options);
  }

  /**
   * Handles a datagram from `peer` (any stable text naming the address and port, such as
   * "127.0.0.1:5684") for which no connection exists.
   */
  handle(datagram: Uint8Array, peer: string, now: number): EndpointResult {
    const result = this.verify(datagram, peer, now);
    if (result.type !== 'verified') return result;
    return { type: 'accept', connection: DtlsConnection.acceptVerified(this.options, result.hello, now) };
  }

  /**
   * The cookie exchange only: answers or drops like handle(), but for a verified ClientHello
   * hands back what DtlsConnection.acceptVerified needs instead of building the connection, so
   * the connection can be created elsewhere (e.g. in a worker thread, with its own options).
   */
  verify(datagram: Uint8Array, peer: string, now: number): VerifyResult {
    const cookies = (this.cookies ??= new CookieJar(this.options.provider, this.options.cookieRotationMs, now));
    const records = splitRecords(datagram);
    const first = records[0];
    if (!first) return { type: 'drop', reason: 'no record' };
    // Every record must be something the connection's record layer would accept (RFC 6347 4.1,
    // RFC 5246 6.2.1): epoch 0 handshake, DTLS 1.0/1.2 version, at most 2^14 bytes.
    const fragments: HandshakeFragment[] = [];
    let lastSequence = first.header.sequenceNumber;
    for (const record of records) {
      const h = record.header;
      if (h.type !== ContentType.handshake || h.epoch !== 0) return { type: 'drop', reason: 'not an epoch-0 handshake record' };
      if (h.version !== DTLS_1_0 && h.version !== DTLS_1_2) return { type: 'drop', reason: 'not a DTLS 1.0/1.2 record' };
      if (record.fragment.length > MAX_PLAINTEXT_LENGTH) return { type: 'drop', reason: 'record longer than 2^14' };
      try {
        for (const f of decodeHandshakeFragments(record.fragment)) {
          if (f.msgType !== HandshakeType.client_hello) return { type: 'drop', reason: 'not a ClientHello' };
          fragments.push(f);
        }
      } catch {
        return { type: 'drop', reason: 'malformed ClientHello' };
      }
      lastSequence = h.sequenceNumber;
    }
    const head = fragments[0];
    if (!head) return { type: 'drop', reason: 'not a ClientHello' };
    let body: Uint8Array;
    let messageSeq = head.messageSeq;
    let budget = datagram.length;
    if (head.fragmentOffset === 0 && head.body.length === head.length) {
      body = head.body;
    } else {
      // RFC 6347 4.2.3: a ClientHello larger than the client's MTU comes in fragments.
      const whole = this.fragments.add(peer, fragments, datagram.length, now);
      if (!whole) return { type: 'drop', reason: 'ClientHello fragment held until the rest arrives' };
      body = whole.body;
      messageSeq = whole.messageSeq;
      budget = whole.datagramBytes;
    }
    let hello;
    try {
      hello = decodeClientHello(body);
    } catch {
      return { type: 'drop', reason: 'malformed ClientHello' };
    }
    if (hello.clientVersion > DTLS_1_2) {
      // Too old for us: a fatal protocol_version alert (smaller than any ClientHello).
      const alert = encodeRecord(
        { type: ContentType.alert, version: DTLS_1_0, epoch: 0, sequenceNumber: lastSequence },
        new Uint8Array([AlertLevel.fatal, AlertDescription.protocol_version]),
      );
      return { type: 'reply', datagram: alert };
    }
    if (!cookies.verify(peer, hello, now)) {
      const body = encodeHelloVerifyRequest({ serverVersion: DTLS_1_0, cookie: cookies.make(peer, hello, now) });
      // RFC 6347 4.2.1: HelloVerifyRequest version DTLS 1.0; record and message sequence copied from the ClientHello.
      const reply = encodeRecord(
        { type: ContentType.handshake, version: DTLS_1_0, epoch: 0, sequenceNumber: lastSequence },
        encodeHandshakeFragment({
          msgType: HandshakeType.hello_verify_request,
          length: body.length,
          messageSeq,
          fragmentOffset: 0,
          body,
        }),
      );
      if (reply.length > budget) return { type: 'drop', reason: 'HelloVerifyRequest would be larger than the ClientHello' };
      return { type: 'reply', datagram: reply };
    }
    return { type: 'verified', hello: { body, messageSeq, recordSeq: lastSequence, datagram } };
  }
}
