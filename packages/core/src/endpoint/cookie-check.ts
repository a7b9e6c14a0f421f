import type { DropReason } from '../server-stats.js';
import { AlertDescription, AlertLevel } from '../alert.js';
import { nodeCryptoProvider } from '../crypto/node-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from '../handshake/handshake-header.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { decodeClientHello } from '../handshake/messages/client-hello.js';
import { encodeHelloVerifyRequest } from '../handshake/messages/hello-verify-request.js';
import { DTLS_1_0, DTLS_1_2 } from '../handshake/protocol-version.js';
import { ContentType } from '../record/content-type.js';
import { splitRecords } from '../record/datagram.js';
import { encodeRecord, MAX_PLAINTEXT_LENGTH } from '../record/record-header.js';
import { ClientHelloFragments } from './client-hello-fragments.js';
import { CookieJar } from './cookie.js';
import { DEFAULT_DTLS13_POLICY } from './dtls13-default-policy.js';
import { dtls13CookieExchange } from './dtls13-cookie-exchange.js';
import type { HelloRetryState } from './hello-retry-cookie.js';
import { selectsDtls13, type DtlsVersionName } from './version-selection.js';
import type { Dtls13ServerPolicy } from '../handshake/dtls13/server-hello-choice.js';
import { RandomCookieKeys } from './random-cookie-keys.js';
import { SharedCookieKeys, checkCookieSecret } from './shared-cookie-keys.js';

/** A ClientHello whose cookie verified: what DtlsConnection.acceptVerified needs (structured-clonable). */
export interface VerifiedClientHello {
  readonly body: Uint8Array;
  readonly messageSeq: number;
  readonly recordSeq: number;
  readonly datagram: Uint8Array;
  /** DTLS 1.3 (RFC 9147 5.1): what the HelloRetryRequest cookie carried, and the cookie itself (it is in the transcript). */
  readonly dtls13?: VerifiedDtls13Hello;
}

/** The state a DTLS 1.3 second ClientHello's cookie brought back (hello-retry-cookie.ts). */
export interface VerifiedDtls13Hello extends HelloRetryState {
  readonly cookie: Uint8Array;
}

/** What ServerEndpoint.verify decided: like EndpointResult, but no connection is built. */
export type VerifyResult =
  | { readonly type: 'drop'; readonly reason: string; readonly code: DropReason }
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  | { readonly type: 'verified'; readonly hello: VerifiedClientHello };

/** What the cookie check needs: no credentials, only the secret's source and its rotation. */
export interface CookieCheckOptions {
  /** Randomness for the cookie secret. Default: node:crypto's provider. */
  readonly provider?: CryptoProvider;
  /** How often the cookie secret rotates, in ms (the previous secret stays valid for one period). Default 60000. */
  readonly cookieRotationMs?: number;
  /** The highest version answered (RFC 8446 4.2.1). Default 'DTLSv1.2': DTLS 1.3 ClientHellos get the 1.2 path. */
  readonly maxVersion?: DtlsVersionName;
  /** The oldest version answered: with 'DTLSv1.3', a ClientHello without it gets protocol_version. Default 'DTLSv1.2'. */
  readonly minVersion?: DtlsVersionName;
  /** With maxVersion 'DTLSv1.3': the suites and groups a HelloRetryRequest may name. Default: all we implement. */
  readonly dtls13?: Dtls13ServerPolicy;
  /**
   * A secret (>= 32 bytes) shared by every process that is to verify this one's cookies (several
   * servers behind a load balancer): each period's key is derived from it and the wall clock
   * (SharedCookieKeys). Default: random secrets of this process alone.
   */
  readonly cookieSecret?: Uint8Array;
}

/**
 * The cookie exchange of RFC 6347 4.2.1, alone: it needs a secret, not the server's credentials,
 * so a runtime that builds its connections elsewhere (e.g. in worker threads, with their own
 * credentials) runs it without any. ServerEndpoint uses one.
 */
export class CookieCheck {
  private readonly provider: CryptoProvider;
  private readonly rotationMs: number;
  private cookies: CookieJar | undefined;
  /** The shared secrets to start with (cookieSecret), until the jar exists. */
  private initialSecrets: readonly Uint8Array[] | undefined;
  private readonly fragments = new ClientHelloFragments();
  private readonly maxVersion: DtlsVersionName;
  private readonly minVersion: DtlsVersionName;
  private readonly dtls13: Dtls13ServerPolicy;

  constructor(options: CookieCheckOptions = {}) {
    this.provider = options.provider ?? nodeCryptoProvider;
    const rotation = options.cookieRotationMs ?? 60_000;
    if (!Number.isInteger(rotation) || rotation < 1) throw new RangeError(`cookieRotationMs must be an integer >= 1 (got ${String(options.cookieRotationMs)})`);
    this.rotationMs = rotation;
    this.maxVersion = options.maxVersion ?? 'DTLSv1.3';
    this.minVersion = options.minVersion ?? 'DTLSv1.2';
    this.dtls13 = options.dtls13 ?? DEFAULT_DTLS13_POLICY;
    // Checked (and copied) now, so that a bad secret fails at startup.
    if (options.cookieSecret !== undefined) this.initialSecrets = [checkCookieSecret(options.cookieSecret)];
  }

  /**
   * Replaces the shared cookie secret (RFC 6347 4.2.1: a server that changes its Secret may accept both
   * secrets for a limited window, so that clients in the middle of the exchange get through):
   * cookies made from now on use `secrets[0]`; `secrets[1..]` (a previous shared secret that other
   * processes may still use) are accepted too, and the keys in use until now still verify for one
   * more rotation period. `wallNow`: Date.now(). TypeError/RangeError for a bad secret.
   */
  setCookieSecrets(secrets: readonly Uint8Array[], wallNow: number): void {
    // Checked (and copied) first: a bad secret changes nothing.
    const keys = new SharedCookieKeys(this.provider, this.rotationMs, secrets);
    if (this.cookies === undefined) {
      this.initialSecrets = secrets.map((s, i) => checkCookieSecret(s, i === 0 ? 'cookieSecret' : 'previous cookie secret'));
      return;
    }
    const source = this.cookies.source;
    if (source instanceof SharedCookieKeys && source.sameSecrets(secrets)) return;
    this.cookies.replaceKeys(keys, wallNow, this.rotationMs);
  }

  private jar(now: number): CookieJar {
    if (this.cookies !== undefined) return this.cookies;
    const secrets = this.initialSecrets;
    const keys = secrets === undefined ? new RandomCookieKeys(this.provider, this.rotationMs, now) : new SharedCookieKeys(this.provider, this.rotationMs, secrets);
    this.cookies = new CookieJar(this.provider, keys);
    this.initialSecrets = undefined;
    return this.cookies;
  }

  /**
   * A datagram from `peer` (any stable text naming the address and port, e.g. core's peerKey) for
   * which no connection exists: dropped, answered (a HelloVerifyRequest, or an alert), or, when
   * its cookie verifies, what DtlsConnection.acceptVerified needs to build the connection (e.g. in
   * a worker thread, with its own options and credentials). `wallNow`: Date.now() when `now` is a
   * monotonic clock; a shared cookieSecret's rotation periods are counted on it, so that processes
   * agree on them.
   */
  verify(datagram: Uint8Array, peer: string, now: number, wallNow: number = now): VerifyResult {
    const cookies = this.jar(now);
    const records = splitRecords(datagram);
    const first = records[0];
    if (!first) return { type: 'drop', reason: 'no record', code: 'notClientHello' };
    // Every record must be something the connection's record layer would accept (RFC 6347 4.1,
    // RFC 5246 6.2.1): epoch 0 handshake, DTLS 1.0/1.2 version, at most 2^14 bytes.
    const fragments: HandshakeFragment[] = [];
    let lastSequence = first.header.sequenceNumber;
    for (const record of records) {
      const h = record.header;
      if (h.type !== ContentType.handshake || h.epoch !== 0) return { type: 'drop', reason: 'not an epoch-0 handshake record', code: 'notClientHello' };
      if (h.version !== DTLS_1_0 && h.version !== DTLS_1_2) return { type: 'drop', reason: 'not a DTLS 1.0/1.2 record', code: 'notClientHello' };
      if (record.fragment.length > MAX_PLAINTEXT_LENGTH) return { type: 'drop', reason: 'record longer than 2^14', code: 'malformed' };
      try {
        for (const f of decodeHandshakeFragments(record.fragment)) {
          if (f.msgType !== HandshakeType.client_hello) return { type: 'drop', reason: 'not a ClientHello', code: 'notClientHello' };
          fragments.push(f);
        }
      } catch {
        return { type: 'drop', reason: 'malformed ClientHello', code: 'malformed' };
      }
      lastSequence = h.sequenceNumber;
    }
    const head = fragments[0];
    if (!head) return { type: 'drop', reason: 'not a ClientHello', code: 'notClientHello' };
    let body: Uint8Array;
    let messageSeq = head.messageSeq;
    let budget = datagram.length;
    if (head.fragmentOffset === 0 && head.body.length === head.length) {
      body = head.body;
    } else {
      // RFC 6347 4.2.3: a ClientHello larger than the client's MTU comes in fragments.
      const whole = this.fragments.add(peer, fragments, datagram.length, now);
      if (!whole) return { type: 'drop', reason: 'ClientHello fragment held until the rest arrives', code: 'fragment' };
      body = whole.body;
      messageSeq = whole.messageSeq;
      budget = whole.datagramBytes;
    }
    let hello;
    try {
      hello = decodeClientHello(body);
    } catch {
      return { type: 'drop', reason: 'malformed ClientHello', code: 'malformed' };
    }
    try {
      if (selectsDtls13(hello, this.maxVersion)) {
        return dtls13CookieExchange({ peer, hello, body, messageSeq, recordSeq: lastSequence, datagram, budget }, cookies, this.provider, this.dtls13, now, wallNow);
      }
    } catch {
      return { type: 'drop', reason: 'malformed supported_versions', code: 'malformed' };
    }
    // RFC 8446 4.2.1: a server that only speaks newer versions than the client offers answers protocol_version.
    if (hello.clientVersion > DTLS_1_2 || this.minVersion === 'DTLSv1.3') {
      // Too old for us: a fatal protocol_version alert (smaller than any ClientHello).
      const alert = encodeRecord(
        { type: ContentType.alert, version: DTLS_1_0, epoch: 0, sequenceNumber: lastSequence },
        new Uint8Array([AlertLevel.fatal, AlertDescription.protocol_version]),
      );
      return { type: 'reply', datagram: alert };
    }
    if (!cookies.verify(peer, hello, now, wallNow)) {
      const body = encodeHelloVerifyRequest({ serverVersion: DTLS_1_0, cookie: cookies.make(peer, hello, now, wallNow) });
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
      if (reply.length > budget) return { type: 'drop', reason: 'HelloVerifyRequest would be larger than the ClientHello', code: 'amplification' };
      return { type: 'reply', datagram: reply };
    }
    return { type: 'verified', hello: { body, messageSeq, recordSeq: lastSequence, datagram } };
  }
}
