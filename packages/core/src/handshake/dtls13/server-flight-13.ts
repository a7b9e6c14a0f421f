import { AlertDescription } from '../../alert.js';
import { certificateVerifyContent } from '../../crypto/certificate-verify-content.js';
import type { KeyShareReserve } from '../../crypto/key-share-reserve.js';
import { finishedVerifyData13 } from '../../crypto/finished-13.js';
import {
  clientApplicationTrafficSecret,
  clientHandshakeTrafficSecret,
  earlySecret,
  exporterMasterSecret,
  handshakeSecret,
  masterSecret,
  serverApplicationTrafficSecret,
  serverHandshakeTrafficSecret,
} from '../../crypto/key-schedule-13.js';
import { isTls13CertificateVerifyScheme } from '../../crypto/signature-schemes-13.js';
import { DtlsError } from '../../errors.js';
import type { CertificateSigner } from '../../key-exchange/certificate-credentials.js';
import type { Extension } from '../extensions/extension.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { encodeKeyShareServerHello } from '../extensions/key-share.js';
import { encodePreSharedKeyServerHello } from '../extensions/pre-shared-key.js';
import { decodeSignatureAlgorithms, encodeSignatureAlgorithms } from '../extensions/signature-algorithms.js';
import { encodeSupportedVersionsServerHello } from '../extensions/supported-versions.js';
import { HandshakeType } from '../handshake-type.js';
import { keyShareGroup13ById } from '../key-exchange/key-share-groups-13.js';
import { encodeCertificate13 } from '../messages/certificate-13.js';
import { encodeCertificateRequest13 } from '../messages/certificate-request-13.js';
import { encodeCertificateVerify13 } from '../messages/certificate-verify-13.js';
import { encodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { encodeFinished13 } from '../messages/finished-13.js';
import { encodeServerHello } from '../messages/server-hello.js';
import { dtls13ServerHello } from '../messages/server-hello-13.js';
import { DTLS_1_3 } from '../protocol-version.js';
import type { ClientHello2 } from './server-client-hello-2.js';

/** A handshake message of the server's flight and the epoch it goes out in (RFC 9147 4: 0 plaintext, 2 handshake keys). */
export interface ServerFlightMessage13 {
  readonly msgType: HandshakeType;
  readonly body: Uint8Array;
  readonly epoch: 0 | 2;
}

/** How the server authenticates (RFC 8446 2): an external PSK it validated, or its certificate. */
export type ServerAuth13 =
  | {
      readonly type: 'psk';
      readonly index: number;
      readonly key: Uint8Array;
      readonly dhe: boolean;
      /** HKDF-Extract(0, key) when the binder check derived it already (RFC 8446 7.1): not derived twice. */
      readonly early?: Uint8Array;
    }
  | { readonly type: 'certificate'; readonly signer: CertificateSigner };

export interface ServerFlightInputs13 {
  readonly ch: ClientHello2;
  /** ServerHello.random (32 bytes). */
  readonly random: Uint8Array;
  readonly auth: ServerAuth13;
  /** What EncryptedExtensions answers (ALPN, connection_id, record_size_limit...), decided by the caller. */
  readonly encryptedExtensions: readonly Extension[];
  /** With certificate authentication: ask the client for one, accepting these schemes (RFC 8446 4.3.2). */
  readonly requestCertificate?: readonly number[];
  /** More ServerHello extensions (connection_id, RFC 9147 9), decided by the caller. */
  readonly serverHelloExtensions?: readonly Extension[];
  /**
   * The server's key pairs made ahead (DtlsConnection.prepare, between handshakes): the key_share
   * answer takes its pair from there rather than making one while the client waits. Each pair
   * serves one handshake (take() forgets it), so the share stays ephemeral (RFC 8446 4.2.8).
   */
  readonly keyShares?: KeyShareReserve;
}

/** The server's flight up to the CertificateVerify's signature (which may be slow or asynchronous). */
export interface ServerFlightDraft13 {
  readonly inputs: ServerFlightInputs13;
  readonly messages: readonly ServerFlightMessage13[];
  readonly handshakeSecret: Uint8Array;
  readonly clientHandshakeSecret: Uint8Array;
  readonly serverHandshakeSecret: Uint8Array;
  /** With a certificate: what to sign (RFC 8446 4.4.3) and with which scheme. */
  readonly toSign: { readonly scheme: number; readonly content: Uint8Array } | undefined;
}

/** The server's whole flight and the secrets of the rest of the handshake. */
export interface ServerFlight13 {
  readonly messages: readonly ServerFlightMessage13[];
  readonly clientHandshakeSecret: Uint8Array;
  readonly serverHandshakeSecret: Uint8Array;
  readonly clientApplicationSecret: Uint8Array;
  readonly serverApplicationSecret: Uint8Array;
  readonly exporterMasterSecret: Uint8Array;
  readonly master: Uint8Array;
  /** Whether a CertificateRequest went out: the client's Certificate comes first then. */
  readonly certificateRequested: boolean;
}

/**
 * The CertificateVerify scheme (RFC 8446 4.4.3): the first of the signer's that TLS 1.3 allows and
 * the client listed in signature_algorithms. RFC 8446 4.2.3: a certificate-authenticating server
 * whose client sent no signature_algorithms "MUST abort the handshake with a "missing_extension"
 * alert"; no scheme in common: handshake_failure (4.1.1).
 */
export function chooseSignatureScheme13(ch: ClientHello2, signer: CertificateSigner): number {
  const ext = findExtension(ch.hello.extensions, ExtensionType.signature_algorithms);
  if (ext === undefined) throw new DtlsError(AlertDescription.missing_extension, 'certificate authentication, but the ClientHello has no signature_algorithms');
  const offered = decodeSignatureAlgorithms(ext.data);
  const scheme = signer.signatureSchemes.find((s) => isTls13CertificateVerifyScheme(s) && offered.includes(s));
  if (scheme === undefined) throw new DtlsError(AlertDescription.handshake_failure, 'no TLS 1.3 signature scheme of our key is in the client signature_algorithms');
  return scheme;
}

/**
 * The server's flight of RFC 8446 2 / RFC 9147 5 (figure 6), up to its CertificateVerify:
 * ServerHello (with key_share unless psk_ke, pre_shared_key with a PSK) in epoch 0, then under the
 * handshake keys EncryptedExtensions, [CertificateRequest], [Certificate], with the key schedule
 * of RFC 8446 7.1 at each step.
 */
export function draftServerFlight13(inputs: ServerFlightInputs13): ServerFlightDraft13 {
  const { ch, auth } = inputs;
  const { kdf, transcript } = ch;
  const psk = auth.type === 'psk' ? auth : undefined;
  const extensions: Extension[] = [{ type: ExtensionType.supported_versions, data: encodeSupportedVersionsServerHello(DTLS_1_3) }];
  let shared: Uint8Array | undefined;
  if (psk === undefined || psk.dhe) {
    const share = ch.share;
    const group = share === undefined ? undefined : keyShareGroup13ById(share.group);
    if (share === undefined || group === undefined) throw new DtlsError(AlertDescription.handshake_failure, 'the ClientHello carries no key share we can answer');
    const answer = group.serverShare(kdf.provider, share.keyExchange, inputs.keyShares?.take(group.keyPairCurve));
    shared = answer.sharedSecret;
    extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareServerHello({ group: share.group, keyExchange: answer.keyExchange }) });
  }
  // RFC 8446 4.2.11: pre_shared_key is the last extension of the ClientHello, not of the ServerHello; order is free here.
  if (psk !== undefined) extensions.push({ type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServerHello(psk.index) });
  extensions.push(...(inputs.serverHelloExtensions ?? []));
  const serverHello = encodeServerHello(dtls13ServerHello({ random: inputs.random, legacySessionIdEcho: ch.hello.sessionId, cipherSuite: ch.suite.id, extensions }));
  transcript.add(HandshakeType.client_hello, ch.body);
  transcript.add(HandshakeType.server_hello, serverHello);
  const hs = handshakeSecret(kdf, psk?.early ?? earlySecret(kdf, psk?.key), shared);
  const helloHash = transcript.hash(kdf.provider, kdf.hash);
  const clientHandshakeSecret = clientHandshakeTrafficSecret(kdf, hs, helloHash);
  const serverHandshakeSecret = serverHandshakeTrafficSecret(kdf, hs, helloHash);
  const messages: ServerFlightMessage13[] = [{ msgType: HandshakeType.server_hello, body: serverHello, epoch: 0 }];
  const add = (msgType: HandshakeType, body: Uint8Array): void => {
    transcript.add(msgType, body);
    messages.push({ msgType, body, epoch: 2 });
  };
  add(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: [...inputs.encryptedExtensions] }));
  let toSign: ServerFlightDraft13['toSign'];
  if (auth.type === 'certificate') {
    const scheme = chooseSignatureScheme13(ch, auth.signer);
    if (inputs.requestCertificate !== undefined) {
      // RFC 8446 4.3.2: "The "signature_algorithms" extension MUST be specified"; the context is empty in the handshake.
      add(
        HandshakeType.certificate_request,
        encodeCertificateRequest13({ context: new Uint8Array(0), extensions: [{ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(inputs.requestCertificate) }] }),
      );
    }
    add(HandshakeType.certificate, encodeCertificate13({ context: new Uint8Array(0), entries: auth.signer.chain.map((data) => ({ data, extensions: [] })) }));
    toSign = { scheme, content: certificateVerifyContent('server', transcript.hash(kdf.provider, kdf.hash)) };
  }
  return { inputs, messages, handshakeSecret: hs, clientHandshakeSecret, serverHandshakeSecret, toSign };
}

/**
 * The rest of the flight: CertificateVerify with the signature over draft.toSign (RFC 8446
 * 4.4.3), then Finished (4.4.4), and the application traffic secrets, which hash the transcript
 * through the server Finished (7.1).
 */
export function completeServerFlight13(draft: ServerFlightDraft13, signature: Uint8Array | undefined): ServerFlight13 {
  const { ch } = draft.inputs;
  const { kdf, transcript } = ch;
  const messages = [...draft.messages];
  const add = (msgType: HandshakeType, body: Uint8Array): void => {
    transcript.add(msgType, body);
    messages.push({ msgType, body, epoch: 2 });
  };
  if (draft.toSign !== undefined) {
    if (signature === undefined) throw new DtlsError(AlertDescription.internal_error, 'the server CertificateVerify needs a signature');
    add(HandshakeType.certificate_verify, encodeCertificateVerify13({ scheme: draft.toSign.scheme, signature }));
  }
  add(HandshakeType.finished, encodeFinished13(finishedVerifyData13(kdf, draft.serverHandshakeSecret, transcript.hash(kdf.provider, kdf.hash))));
  const master = masterSecret(kdf, draft.handshakeSecret);
  const finishedHash = transcript.hash(kdf.provider, kdf.hash);
  return {
    messages,
    clientHandshakeSecret: draft.clientHandshakeSecret,
    serverHandshakeSecret: draft.serverHandshakeSecret,
    clientApplicationSecret: clientApplicationTrafficSecret(kdf, master, finishedHash),
    serverApplicationSecret: serverApplicationTrafficSecret(kdf, master, finishedHash),
    exporterMasterSecret: exporterMasterSecret(kdf, master, finishedHash),
    master,
    certificateRequested: draft.inputs.auth.type === 'certificate' && draft.inputs.requestCertificate !== undefined,
  };
}
