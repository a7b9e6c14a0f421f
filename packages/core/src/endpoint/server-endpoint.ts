import { AlertDescription, AlertLevel } from '../alert.js';
import type { ServerOptions } from '../config.js';
import { DtlsConnection } from '../connection.js';
import { encodeHandshakeFragment, decodeHandshakeFragments } from '../handshake/handshake-header.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { decodeClientHello } from '../handshake/messages/client-hello.js';
import { encodeHelloVerifyRequest } from '../handshake/messages/hello-verify-request.js';
import { DTLS_1_0, DTLS_1_2 } from '../handshake/protocol-version.js';
import { resolveServerOptions, type ResolvedServerOptions } from '../options.js';
import { ContentType } from '../record/content-type.js';
import { splitRecords } from '../record/datagram.js';
import { encodeRecord, MAX_PLAINTEXT_LENGTH } from '../record/record-header.js';
import { CookieJar } from './cookie.js';

/** What the endpoint decided about a datagram from a peer that has no connection yet. */
export type EndpointResult =
  /** Nothing to do: not a ClientHello, malformed, or otherwise not worth an answer. */
  | { readonly type: 'drop'; readonly reason: string }
  /** Send this datagram back (a HelloVerifyRequest or an alert) and forget the peer. */
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  /** The cookie verified: a new connection that has already consumed the datagram. */
  | { readonly type: 'accept'; readonly connection: DtlsConnection };

/**
 * The stateless front door of a DTLS server (RFC 6347 4.2.1). A ClientHello without a valid
 * cookie gets a HelloVerifyRequest and leaves nothing behind; only a ClientHello whose cookie
 * proves the client receives at its address creates a connection. The reply is never larger
 * than the datagram that caused it, so a spoofed source cannot use us to amplify.
 */
export class ServerEndpoint {
  readonly options: ResolvedServerOptions;
  private cookies: CookieJar | undefined;

  constructor(options: ServerOptions) {
    this.options = resolveServerOptions(options);
  }

  /**
   * Handles a datagram from `peer` (any stable text naming the address and port, such as
   * "127.0.0.1:5684") for which no connection exists.
   */
  handle(datagram: Uint8Array, peer: string, now: number): EndpointResult {
    const cookies = (this.cookies ??= new CookieJar(this.options.provider, this.options.cookieRotationMs, now));
    const record = splitRecords(datagram)[0];
    if (!record) return { type: 'drop', reason: 'no record' };
    const h = record.header;
    if (h.type !== ContentType.handshake || h.epoch !== 0) return { type: 'drop', reason: 'not an epoch-0 handshake record' };
    // What the connection's record layer would drop anyway (RFC 6347 4.1, RFC 5246 6.2.1): a
    // connection made for it could never see its ClientHello and would only wait to time out.
    if (h.version !== DTLS_1_0 && h.version !== DTLS_1_2) return { type: 'drop', reason: 'not a DTLS 1.0/1.2 record' };
    if (record.fragment.length > MAX_PLAINTEXT_LENGTH) return { type: 'drop', reason: 'record longer than 2^14' };
    let hello;
    let messageSeq: number;
    try {
      const fragment = decodeHandshakeFragments(record.fragment)[0];
      if (!fragment || fragment.msgType !== HandshakeType.client_hello) return { type: 'drop', reason: 'not a ClientHello' };
      // A stateless server cannot reassemble: the ClientHello must fit one record (as OpenSSL's DTLSv1_listen requires).
      if (fragment.fragmentOffset !== 0 || fragment.body.length !== fragment.length) {
        return { type: 'drop', reason: 'fragmented ClientHello' };
      }
      hello = decodeClientHello(fragment.body);
      messageSeq = fragment.messageSeq;
    } catch {
      return { type: 'drop', reason: 'malformed ClientHello' };
    }
    if (hello.clientVersion > DTLS_1_2) {
      // Too old for us: a fatal protocol_version alert (smaller than any ClientHello).
      const alert = encodeRecord(
        { type: ContentType.alert, version: DTLS_1_0, epoch: 0, sequenceNumber: h.sequenceNumber },
        new Uint8Array([AlertLevel.fatal, AlertDescription.protocol_version]),
      );
      return { type: 'reply', datagram: alert };
    }
    if (!cookies.verify(peer, hello, now)) {
      const body = encodeHelloVerifyRequest({ serverVersion: DTLS_1_0, cookie: cookies.make(peer, hello, now) });
      // RFC 6347 4.2.1: HelloVerifyRequest version DTLS 1.0; record and message sequence copied from the ClientHello.
      const reply = encodeRecord(
        { type: ContentType.handshake, version: DTLS_1_0, epoch: 0, sequenceNumber: h.sequenceNumber },
        encodeHandshakeFragment({
          msgType: HandshakeType.hello_verify_request,
          length: body.length,
          messageSeq,
          fragmentOffset: 0,
          body,
        }),
      );
      if (reply.length > datagram.length) return { type: 'drop', reason: 'HelloVerifyRequest would be larger than the ClientHello' };
      return { type: 'reply', datagram: reply };
    }
    const connection = DtlsConnection.acceptVerified(this.options, messageSeq, h.sequenceNumber, now);
    connection.receive(datagram, now);
    return { type: 'accept', connection };
  }
}
