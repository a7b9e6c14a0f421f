/**
 * The DTLS 1.3 server's pure steps (src/handshake/dtls13/server-*) held against what wolfSSL
 * 5.5.4's client sent in the captures of test/fixtures/wolfssl13/ (README there: the client ran
 * `./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x`):
 * its PSK binder after a HelloRetryRequest, and its Finished under the handshake secret of its
 * key log. The transcript is rebuilt with wolfSSL's own HelloRetryRequest, as its client hashed it.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../../src/alert.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../../src/crypto/hkdf-label.js';
import { nodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { MESSAGE_HASH_TYPE, tlsHandshakeMessage, Transcript13 } from '../../../src/crypto/transcript-13.js';
import { DtlsError } from '../../../src/errors.js';
import type { ClientHello2 } from '../../../src/handshake/dtls13/server-client-hello-2.js';
import { checkExternalPskBinder, pskOffer13 } from '../../../src/handshake/dtls13/server-psk-13.js';
import { ServerWaitFinished13 } from '../../../src/handshake/dtls13/server-wait-finished-13.js';
import { readClientCertificate13, readClientCertificateVerify13 } from '../../../src/handshake/dtls13/server-client-auth-13.js';
import { SignatureScheme } from '../../../src/handshake/extensions/signature-scheme.js';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { HandshakeType } from '../../../src/handshake/handshake-type.js';
import { decodeClientHello } from '../../../src/handshake/messages/client-hello.js';
import { tls13CipherSuiteById } from '../../../src/suites/tls13-cipher-suites.js';
import { fromHex, handshakeFragments, loadWolfssl13Fixture, openRecords, plaintextRecords, type Direction } from '../../interop/wolfssl13-fixture.js';

const PSK = fromHex('0123456789abcdef'.repeat(4));
const provider = nodeCryptoProvider;
const kdf: LabelledHkdf = { provider, hash: 'sha256', labelPrefix: DTLS13_LABEL_PREFIX };

interface Message {
  direction: Direction;
  msgType: number;
  body: Uint8Array;
}

/** Every whole handshake message of a capture in order, plaintext and decrypted (none is fragmented in these). */
function messages(scenario: string): { messages: Message[]; secret: (label: string) => Uint8Array } {
  const fixture = loadWolfssl13Fixture(scenario);
  const out: Message[] = [];
  fixture.datagrams.forEach((d) => {
    for (const r of plaintextRecords(fromHex(d.hex)).records) {
      for (const h of handshakeFragments(r.fragment)) out.push({ direction: d.direction, msgType: h.msgType, body: h.body });
    }
  });
  for (const r of openRecords(fixture)) {
    if (r.type === 22) for (const h of handshakeFragments(r.content)) out.push({ direction: r.direction, msgType: h.msgType, body: h.body });
  }
  const secret = (label: string): Uint8Array => fromHex(fixture.keylog.find((k) => k.label === label)?.secret ?? '');
  return { messages: out, secret };
}

/** The ClientHello2 the server's steps start from, with wolfSSL's HelloRetryRequest in the transcript. */
function clientHello2Of(ms: Message[]): ClientHello2 {
  const [ch1, hrr, ch2] = ms;
  if (ch1 === undefined || hrr === undefined || ch2 === undefined) throw new Error('capture too short');
  const transcript = new Transcript13();
  transcript.addTlsMessage(tlsHandshakeMessage(MESSAGE_HASH_TYPE, provider.hash('sha256', tlsHandshakeMessage(HandshakeType.client_hello, ch1.body))));
  transcript.add(HandshakeType.server_hello, hrr.body);
  const suite = tls13CipherSuiteById(0x1301);
  if (suite === undefined) throw new Error('no suite');
  return { hello: decodeClientHello(ch2.body), body: ch2.body, suite, kdf, transcript, share: undefined };
}

function alertOf(f: () => unknown): AlertDescription | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof DtlsError) return err.alert;
    throw err;
  }
  return undefined;
}

describe("the DTLS 1.3 server's steps against wolfSSL 5.5.4's client (captures)", () => {
  it('validates the external PSK binder of its second ClientHello (RFC 8446 4.2.11.2), and refuses it under another key (decrypt_error)', () => {
    const ch = clientHello2Of(messages('psk-aes128gcm').messages);
    const offer = pskOffer13(ch);
    if (offer === undefined) throw new Error('no PSK offered');
    // wolfSSL's example client appends the suite's hash to its TLS 1.3 identity (its my_psk_client_cs_cb).
    expect(new TextDecoder().decode(offer.offered.identities[0]?.identity)).toBe('Client_identitySHA256');
    expect(offer.dhe).toBe(true);
    expect(alertOf(() => checkExternalPskBinder(ch, offer, 0, PSK))).toBeUndefined();
    const other = PSK.slice();
    other[0] = (other[0] ?? 0) ^ 1;
    expect(alertOf(() => checkExternalPskBinder(ch, offer, 0, other))).toBe(AlertDescription.decrypt_error);
  });

  it("verifies its Finished under CLIENT_HANDSHAKE_TRAFFIC_SECRET after the server's flight (ECDSA and PSK captures)", () => {
    for (const scenario of ['ecdsa', 'psk-aes128gcm']) {
      const { messages: ms, secret } = messages(scenario);
      const rest = ms.slice(2);
      const clientFinishedAt = rest.findIndex((m) => m.direction === 'client-to-server' && m.msgType === HandshakeType.finished);
      const finished = rest[clientFinishedAt];
      if (finished === undefined) throw new Error('no client Finished');
      // message_hash, HelloRetryRequest, ClientHello2, ServerHello ... server Finished.
      const copy = (): Transcript13 => {
        const t = clientHello2Of(ms).transcript;
        for (const m of rest.slice(0, clientFinishedAt)) t.add(m.msgType, m.body);
        return t;
      };
      const master = new Uint8Array(32);
      const hs = secret('CLIENT_HANDSHAKE_TRAFFIC_SECRET');
      expect(new ServerWaitFinished13(kdf, copy(), hs, master).handle(HandshakeType.finished, finished.body).name).toBe('established');
      const bad = finished.body.slice();
      bad[5] = (bad[5] ?? 0) ^ 1;
      expect(alertOf(() => new ServerWaitFinished13(kdf, copy(), hs, master).handle(HandshakeType.finished, bad)), scenario).toBe(AlertDescription.decrypt_error);
      // The client's flight is its Finished alone here: anything else is unexpected_message.
      expect(alertOf(() => new ServerWaitFinished13(kdf, copy(), hs, master).handle(HandshakeType.certificate, finished.body))).toBe(AlertDescription.unexpected_message);
    }
  });

  it("reads its client Certificate and CertificateVerify after a CertificateRequest (ecdsa-client-auth): the signature verifies with its certificate's key", () => {
    const { messages: ms } = messages('ecdsa-client-auth');
    const at = ms.findIndex((m) => m.direction === 'client-to-server' && m.msgType === HandshakeType.certificate);
    const cert = ms[at];
    const cv = ms[at + 1];
    if (cert === undefined || cv === undefined || cv.msgType !== HandshakeType.certificate_verify) throw new Error('no client Certificate + CertificateVerify');
    const transcriptUpTo = (): Transcript13 => {
      const t = clientHello2Of(ms).transcript;
      for (const m of ms.slice(2, at)) t.add(m.msgType, m.body);
      return t;
    };
    const t = transcriptUpTo();
    const chain = readClientCertificate13(t, cert.body, true);
    expect(chain.length).toBeGreaterThan(0);
    const leaf = chain[0] ?? new Uint8Array(0);
    const signed = readClientCertificateVerify13(kdf, t, cv.body, [SignatureScheme.ecdsa_secp256r1_sha256]);
    expect(signed.scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    const key = createPublicKey(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'pem' }));
    expect(verify('sha256', signed.content, key, signed.signature)).toBe(true);
    // The content is bound to the transcript: one message fewer and the signature no longer holds.
    const short = clientHello2Of(ms).transcript;
    for (const m of ms.slice(2, at - 1)) short.add(m.msgType, m.body);
    short.add(HandshakeType.certificate, cert.body);
    expect(verify('sha256', readClientCertificateVerify13(kdf, short, cv.body, [SignatureScheme.ecdsa_secp256r1_sha256]).content, key, signed.signature)).toBe(false);
    // A scheme we did not ask for: illegal_parameter (RFC 8446 4.4.3).
    expect(alertOf(() => readClientCertificateVerify13(kdf, transcriptUpTo(), cv.body, [SignatureScheme.rsa_pss_rsae_sha256]))).toBe(AlertDescription.illegal_parameter);
    // Another certificate_request_context than our (empty) one: illegal_parameter.
    const withContext = Uint8Array.from([1, 7, ...cert.body.subarray(1)]);
    expect(alertOf(() => readClientCertificate13(transcriptUpTo(), withContext, true))).toBe(AlertDescription.illegal_parameter);
    // No certificate while we require one: certificate_required (RFC 8446 4.4.2.4).
    expect(alertOf(() => readClientCertificate13(transcriptUpTo(), Uint8Array.from([0, 0, 0, 0]), true))).toBe(AlertDescription.certificate_required);
    expect(readClientCertificate13(transcriptUpTo(), Uint8Array.from([0, 0, 0, 0]), false)).toEqual([]);
  });
});
