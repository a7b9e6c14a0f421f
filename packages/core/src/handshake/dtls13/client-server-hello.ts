import { dtls13ReadRecords } from '../../record/dtls13-record-mode.js';
import { AlertDescription } from '../../alert.js';
import { pskBinderAlertHint } from './client-alert-hints-13.js';
import { Transcript13 } from '../../crypto/transcript-13.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import { tls13CipherSuiteById, type Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { decodeCookie, encodeCookie } from '../extensions/cookie.js';
import { findExtension, type Extension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import {
  checkHelloRetryGroup,
  checkServerShareGroup,
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
} from '../extensions/key-share.js';
import { decodeSupportedGroups } from '../extensions/supported-groups.js';
import { checkSelectedIdentity, decodePreSharedKeyServerHello } from '../extensions/pre-shared-key.js';
import { keyShareGroup13, keyShareGroup13ById, offeredShare13, type ClientKeyShare13 } from '../key-exchange/key-share-groups-13.js';
import { HandshakeType } from '../handshake-type.js';
import { encodeClientHello, type ClientHello } from '../messages/client-hello.js';
import { checkDtls13ServerHello, checkHelloRetryRequestAsksForChange, checkServerCipherSuite } from '../messages/server-hello-13.js';
import { decodeServerHello, type ServerHello } from '../messages/server-hello.js';
import { checkSelectedVersion, decodeSupportedVersionsServerHello } from '../extensions/supported-versions.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';
import type { Dtls13Offer } from './client-hello-offer.js';
import { withPskBinders } from './client-resumption-offer.js';
import { resumedWithTicket13 } from './client-session-ticket-13.js';
import { dtls13ClientSecrets, epochKeysFrom } from './client-handshake-secrets.js';
import { WaitEncryptedExtensions } from './client-wait-encrypted-extensions.js';
import { dtls13KeyUpdateRecordOptions } from '../../record/dtls13-key-update-options.js';
import { acceptServerConnectionId13, offeredReceiveConnectionId13 } from './connection-id-13.js';

/** A ClientHello of ours offering DTLS 1.3 that awaits its answer. */
export interface Dtls13HelloAttempt {
  readonly offer: Dtls13Offer;
  /** The ClientHello last sent. */
  readonly hello: ClientHello;
  /** The key shares in it, with their private halves. */
  readonly keyShares: readonly ClientKeyShare13[];
  /** After a HelloRetryRequest: message_hash(ClientHello1), the HelloRetryRequest and ClientHello2 (RFC 8446 4.4.1). */
  readonly transcript: Transcript13 | undefined;
  /** What the HelloRetryRequest chose (RFC 8446 4.1.4: the ServerHello must agree). */
  readonly retry: { readonly suite: number; readonly group: number | undefined } | undefined;
}

/** RFC 8446 4.1.3 / 4.1.4: what a ServerHello or HelloRetryRequest of DTLS 1.3 may carry. */
const SERVER_HELLO_EXTENSIONS: readonly number[] = [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key, ExtensionType.connection_id];
const RETRY_EXTENSIONS: readonly number[] = [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie];

function offeredSuite(id: number, attempt: Dtls13HelloAttempt): Tls13CipherSuite {
  checkServerCipherSuite(id, attempt.hello.cipherSuites, attempt.retry?.suite);
  const suite = tls13CipherSuiteById(id);
  // A DTLS 1.2 suite in a DTLS 1.3 ServerHello (RFC 8446 4.1.3: "not offered" for 1.3).
  if (suite === undefined) throw new IllegalParameterError(`DTLS 1.3 ServerHello chose 0x${id.toString(16)}, not a TLS 1.3 cipher suite`);
  return suite;
}

function onlyExtensions(extensions: readonly Extension[], allowed: readonly number[], what: string): void {
  for (const e of extensions) {
    // RFC 8446 4.2: "If an implementation receives an extension which it recognizes and which is not specified for the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert"; one we did not offer is unsupported_extension.
    if (!allowed.includes(e.type)) throw new IllegalParameterError(`${what} carries extension ${e.type}, which it may not (RFC 8446 4.1.3, 4.2)`);
  }
}

/**
 * The server chose DTLS 1.3 (serverVersionChoice): a HelloRetryRequest gets our second
 * ClientHello (RFC 8446 4.1.4, RFC 9147 5.1: its cookie echoed, a share of the group it asks
 * for), a ServerHello the handshake keys (RFC 8446 4.1.3, 7.1) and the wait for the server's
 * encrypted flight. The record layer switches to DTLS 1.3 here (RFC 9147 4).
 */
export function dtls13ClientOnServerHello(m: HandshakeMessage, sh: ServerHello, cx: ClientContext, attempt: Dtls13HelloAttempt): ClientState {
  // RFC 9147 9: records after the ServerHello may carry the CID we offered (checked once it is read).
  if (cx.records.dtls13Records === undefined) {
    cx.records.enterDtls13({ chacha20MaskCounter: cx.config.chacha20MaskCounter, receiveConnectionId: offeredReceiveConnectionId13(attempt.hello), ...dtls13KeyUpdateRecordOptions(cx.config.keyUpdate) });
  }
  const kind = checkDtls13ServerHello(sh, attempt.hello.sessionId);
  const suite = offeredSuite(sh.cipherSuite, attempt);
  if (kind === 'hello_retry_request') return onHelloRetryRequest(m, sh, cx, attempt, suite);
  onlyExtensions(sh.extensions, SERVER_HELLO_EXTENSIONS, 'ServerHello');
  const offer = attempt.offer;
  // RFC 8446 4.2.11: the PSK the server selected, and only with the hash it was made for.
  let psk: Uint8Array | undefined;
  const pskExt = findExtension(sh.extensions, ExtensionType.pre_shared_key);
  if (pskExt !== undefined) {
    const offered = offer.psks ?? [];
    if (offered.length === 0) throw new DtlsError(AlertDescription.unsupported_extension, 'ServerHello selected a PSK we did not offer');
    const index = decodePreSharedKeyServerHello(pskExt.data);
    checkSelectedIdentity(index, offered.length);
    const selected = offered[index];
    if (selected === undefined) throw new IllegalParameterError(`ServerHello selected PSK ${index}, which we did not offer`);
    if (suite.hash !== selected.hash) throw new IllegalParameterError(`the server paired our ${selected.hash} PSK with ${suite.name} (RFC 8446 4.2.11)`);
    psk = selected.key;
    if (selected.session !== undefined) resumedWithTicket13(cx.negotiated, selected.session);
    else cx.negotiated.pskIdentity = selected.identity;
  }
  let shared: Uint8Array | undefined;
  const shareExt = findExtension(sh.extensions, ExtensionType.key_share);
  if (shareExt !== undefined) {
    const entry = decodeKeyShareServerHello(shareExt.data);
    const sent = attempt.keyShares.map((s) => ({ group: keyShareGroup13Id(s), keyExchange: s.keyExchange }));
    checkServerShareGroup(entry.group, sent, attempt.retry?.group);
    shared = offeredShare13(attempt.keyShares, entry.group).complete(entry.keyExchange);
  } else if (psk === undefined) {
    // RFC 8446 4.2.8/9.2: without a PSK the key exchange is (EC)DHE, which needs the server's share.
    throw new DtlsError(AlertDescription.missing_extension, 'DTLS 1.3 ServerHello without key_share or pre_shared_key');
  }
  if (psk === undefined && cx.config.x509 === undefined) {
    throw new DtlsError(AlertDescription.handshake_failure, 'the server did not select our PSK, and we have no certificate verifier to authenticate it with');
  }
  const transcript = attempt.transcript ?? new Transcript13();
  if (attempt.transcript === undefined) transcript.add(HandshakeType.client_hello, encodeClientHello(attempt.hello));
  transcript.add(HandshakeType.server_hello, m.body);
  const secrets = dtls13ClientSecrets(cx.config.provider, suite, transcript, psk, shared);
  const n = cx.negotiated;
  n.tls13Suite = suite;
  n.serverRandom = sh.random;
  const layer = cx.records.dtls13Records;
  if (layer === undefined) throw new DtlsError(AlertDescription.internal_error, 'no DTLS 1.3 record layer');
  acceptServerConnectionId13(sh.extensions, attempt.hello, n, layer); // RFC 9147 9
  // RFC 9147 6.1: epoch 2 carries the handshake messages after the ServerHello, both ways.
  layer.setWriteKeys(2, epochKeysFrom(secrets, secrets.clientHandshakeTraffic));
  cx.deliver(dtls13ReadRecords(layer.setReadKeys(2, epochKeysFrom(secrets, secrets.serverHandshakeTraffic))));
  return new WaitEncryptedExtensions(secrets, attempt.hello);
}

function keyShareGroup13Id(share: ClientKeyShare13): number {
  return keyShareGroup13(share.group).id;
}

/** RFC 8446 4.1.4 / RFC 9147 5.1: the second ClientHello, once. */
function onHelloRetryRequest(m: HandshakeMessage, hrr: ServerHello, cx: ClientContext, attempt: Dtls13HelloAttempt, suite: Tls13CipherSuite): ClientState {
  // RFC 8446 4.1.4: "If a client receives a second HelloRetryRequest in the same connection ... it MUST abort the handshake with an "unexpected_message" alert."
  if (attempt.retry !== undefined) throw cx.unexpected(m);
  onlyExtensions(hrr.extensions, RETRY_EXTENSIONS, 'HelloRetryRequest');
  checkHelloRetryRequestAsksForChange(hrr);
  const provider = cx.config.provider;
  const transcript = new Transcript13();
  transcript.add(HandshakeType.client_hello, encodeClientHello(attempt.hello));
  transcript.replaceClientHelloWithMessageHash(provider, suite.hash);
  transcript.add(HandshakeType.server_hello, m.body);
  const extensions = attempt.hello.extensions.filter((e) => e.type !== ExtensionType.cookie);
  let keyShares = attempt.keyShares;
  let group: number | undefined;
  const shareExt = findExtension(hrr.extensions, ExtensionType.key_share);
  if (shareExt !== undefined) {
    group = decodeKeyShareHelloRetryRequest(shareExt.data);
    const supported = decodeSupportedGroups(findExtension(attempt.hello.extensions, ExtensionType.supported_groups)?.data ?? new Uint8Array(0));
    const sent = decodeKeyShareClientHello(findExtension(attempt.hello.extensions, ExtensionType.key_share)?.data ?? new Uint8Array(0));
    checkHelloRetryGroup(group, supported, sent);
    const chosen = keyShareGroup13ById(group);
    if (chosen === undefined) throw new IllegalParameterError(`HelloRetryRequest asks for group ${group}, which we cannot do`);
    keyShares = [chosen.clientShare(provider)];
    const at = extensions.findIndex((e) => e.type === ExtensionType.key_share);
    const replaced = { type: ExtensionType.key_share, data: encodeKeyShareClientHello([{ group, keyExchange: keyShares[0]?.keyExchange ?? new Uint8Array(0) }]) };
    if (at >= 0) extensions[at] = replaced;
    else extensions.push(replaced);
  }
  const cookieExt = findExtension(hrr.extensions, ExtensionType.cookie);
  if (cookieExt !== undefined) {
    // RFC 8446 4.2.2: the cookie goes back in the second ClientHello, before pre_shared_key (still last).
    const pskAt = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    const cookie = { type: ExtensionType.cookie, data: encodeCookie(decodeCookie(cookieExt.data)) };
    if (pskAt >= 0) extensions.splice(pskAt, 0, cookie);
    else extensions.push(cookie);
  }
  let hello: ClientHello = { ...attempt.hello, extensions };
  // RFC 8446 4.1.4: PSKs whose hash is not the chosen suite's are removed; 4.2.11.2: the binders of
  // the second ClientHello cover message_hash and the HelloRetryRequest too.
  const before = attempt.offer.psks ?? [];
  const psks = before.filter((p) => p.hash === suite.hash);
  const offer = { ...attempt.offer, psks };
  if (before.length > 0) hello = withPskBinders(provider, hello, psks, transcript);
  const body = encodeClientHello(hello);
  const message = cx.message(HandshakeType.client_hello, body);
  transcript.add(HandshakeType.client_hello, body);
  cx.sendFlight([message], false);
  return new Dtls13WaitServerHello({ offer, hello, keyShares, transcript, retry: { suite: suite.id, group } });
}

/** Our second ClientHello is out: the ServerHello comes next (RFC 8446 4.1.4). */
export class Dtls13WaitServerHello implements ClientState {
  readonly name = 'wait_server_hello';

  constructor(private readonly attempt: Dtls13HelloAttempt) {}

  peerAlertHint(description: AlertDescription): string | undefined {
    return pskBinderAlertHint(this.attempt.offer.psks ?? [], description);
  }

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.server_hello) throw cx.unexpected(m);
    const sh = decodeServerHello(m.body);
    // RFC 8446 4.1.4: the ServerHello after a HelloRetryRequest selects the same version (supported_versions) and suite.
    const versions = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (versions === undefined) throw new IllegalParameterError('ServerHello after a HelloRetryRequest without supported_versions (RFC 8446 4.1.4)');
    checkSelectedVersion(decodeSupportedVersionsServerHello(versions.data), this.attempt.offer.versions);
    return dtls13ClientOnServerHello(m, sh, cx, this.attempt);
  }
}
