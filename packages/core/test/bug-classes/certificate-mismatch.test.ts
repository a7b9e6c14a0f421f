/**
 * Bug class 9: certificate type and CertificateRequest mismatches. Certificates have no place in
 * a PSK suite (RFC 4279 2: no Certificate, no CertificateRequest); a certificate's key must fit
 * the key exchange (RFC 5246 7.4.2, RFC 8422 5.3) and the signature algorithms asked for (RFC 5246
 * 7.4.4, 7.4.8). Each mismatch is refused with its alert, the peer told, no handshake completed.
 *
 * In ../engine/certificates-negative.test.ts, not repeated: ServerKeyExchange signed with a scheme
 * the client did not offer or one of the other key type (illegal_parameter), no common signature
 * scheme (handshake_failure), empty/untrusted/misnamed server chains, client chains the server
 * rejects, Certificate without CertificateVerify.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { encodeCertificate } from '../../src/handshake/messages/certificate.js';
import { ClientCertificateType, decodeCertificateRequest, encodeCertificateRequest } from '../../src/handshake/messages/certificate-request.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, type Tap, withBody } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';
import { certificateVerifier, clientX509, type KeyKind, serverX509, testPki } from '../support/test-certificates.js';

const MTU = { mtu: 9000 }; // whole flights in one datagram, for the rewriting taps

/** A tap inserting `extra` (a whole message) into the server's flight 4 just before the message of type `before`, renumbering what follows. */
function insertIntoFlight4(before: number, extra: (seq: number) => HandshakeFragment): Tap {
  return (d, dir) => {
    if (dir !== 's2c' || !handshakeTypes(d).includes(HandshakeType.server_hello)) return [d];
    let shift = 0;
    return [
      editHandshake(d, (f) => {
        if (f.msgType === before && shift === 0) {
          shift = 1;
          return [extra(f.messageSeq), { ...f, messageSeq: f.messageSeq + 1 }];
        }
        return [{ ...f, messageSeq: f.messageSeq + shift }];
      }),
    ];
  };
}

const whole = (msgType: number, body: Uint8Array) => (messageSeq: number): HandshakeFragment => ({ msgType, messageSeq, length: body.length, fragmentOffset: 0, body });

describe('certificates in a PSK suite', () => {
  const ecdsaChain = (): Uint8Array => encodeCertificate({ certificates: [...testPki().ecdsa.serverChain] });
  const request = (): Uint8Array =>
    encodeCertificateRequest({ certificateTypes: [ClientCertificateType.ecdsa_sign], signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256], authorities: [] });

  it.each([
    ['PSK-AES128-GCM-SHA256', 'a Certificate', HandshakeType.server_hello_done, () => whole(HandshakeType.certificate, ecdsaChain()), 'wait_server_key_exchange'],
    ['ECDHE-PSK-CHACHA20-POLY1305', 'a Certificate', HandshakeType.server_key_exchange, () => whole(HandshakeType.certificate, ecdsaChain()), 'wait_server_key_exchange'],
    ['PSK-AES128-GCM-SHA256', 'a CertificateRequest', HandshakeType.server_hello_done, () => whole(HandshakeType.certificate_request, request()), 'wait_server_key_exchange'],
    ['ECDHE-PSK-CHACHA20-POLY1305', 'a CertificateRequest', HandshakeType.server_hello_done, () => whole(HandshakeType.certificate_request, request()), 'wait_server_hello_done'],
  ])('%s, the server sends %s → unexpected_message at the client, and the server is told', async (suite, _what, before, extra, state) => {
    const p = new Pair({ client: { cipherSuites: suite, ...MTU }, server: MTU, tap: insertIntoFlight4(before, extra()) }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain(state);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });
});

function certPair(kind: KeyKind, o: { client?: Partial<ClientOptions>; server?: Partial<ServerOptions>; tap?: Tap } = {}): Pair {
  const suite = kind === 'ecdsa' ? 'ECDHE-ECDSA-AES128-GCM-SHA256' : 'ECDHE-RSA-AES128-GCM-SHA256';
  return new Pair({
    client: { cipherSuites: suite, x509: clientX509(), servername: 'localhost', ...MTU, ...o.client },
    server: { cipherSuites: suite, x509: serverX509(kind), ...MTU, ...o.server },
    tap: o.tap,
  });
}

describe("the server's certificate does not fit the suite", () => {
  it.each([
    ['an RSA certificate in an ECDHE_ECDSA suite', 'ecdsa', 'rsa'],
    ['an ECDSA certificate in an ECDHE_RSA suite', 'rsa', 'ecdsa'],
  ] as const)('%s (a valid, trusted chain) → decrypt_error at the client: the ServerKeyExchange does not verify with that key', async (_name, suite, certKind) => {
    // RFC 5246 7.4.2: the key must be compatible with the key exchange. The client cannot use
    // the certificate's key for the suite's signature, so the signed ECDHE parameters fail.
    const other = encodeCertificate({ certificates: [...testPki()[certKind].serverChain] });
    const tap: Tap = (d, dir) => (dir === 's2c' ? [editHandshake(d, (f) => (f.msgType === HandshakeType.certificate ? [withBody(f, other)] : [f]))] : [d]);
    const p = certPair(suite, { tap }).start();
    await p.run();
    expect(p.clientEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
  });
});

describe("the client's certificate does not fit the request", () => {
  const ecdsaOnly = [SignatureScheme.ecdsa_secp256r1_sha256];
  const ecdsaOnlyServer = (): Partial<ServerOptions> => ({
    x509: { ...serverX509('ecdsa', { requestCert: true }), verifier: certificateVerifier([testPki().ecdsa.root, testPki().rsa.root], ecdsaOnly) },
  });

  it('an RSA client certificate when the server asks for ECDSA signatures only: our client sends none, the server (rejectUnauthorized) → handshake_failure', async () => {
    const p = certPair('ecdsa', { client: { x509: clientX509({ cert: 'rsa' }) }, server: ecdsaOnlyServer() }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.handshake_failure);
    expect(p.s.error?.message).toContain('none was sent');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
  });

  it('a client that sends its RSA certificate and an RSA CertificateVerify anyway → illegal_parameter at the server', async () => {
    // An on-path rewrite widens the server's request to RSA, so our client answers with its RSA
    // certificate and an RSA-PSS CertificateVerify; the server asked for ECDSA only.
    const widen: Tap = (d, dir) =>
      dir === 's2c'
        ? [
            editHandshake(d, (f) => {
              if (f.msgType !== HandshakeType.certificate_request) return [f];
              const cr = decodeCertificateRequest(f.body);
              return [withBody(f, encodeCertificateRequest({ ...cr, certificateTypes: [ClientCertificateType.rsa_sign], signatureSchemes: [SignatureScheme.rsa_pss_rsae_sha256] }))];
            }),
          ]
        : [d];
    const p = certPair('ecdsa', { client: { x509: clientX509({ cert: 'rsa' }) }, server: ecdsaOnlyServer(), tap: widen }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expect(p.s.error?.message).toContain('did not ask for');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
  });

  it('a CertificateVerify that claims an ECDSA scheme over an RSA certificate → decrypt_error at the server', async () => {
    const p = certPair('ecdsa', { client: { x509: clientX509({ cert: 'rsa' }) }, server: { x509: serverX509('ecdsa', { requestCert: true }) } });
    p.tap = (d, dir) =>
      dir === 'c2s'
        ? [
            editHandshake(d, (f) => {
              if (f.msgType !== HandshakeType.certificate_verify) return [f];
              const body = f.body.slice();
              body[0] = SignatureScheme.ecdsa_secp256r1_sha256 >> 8;
              body[1] = SignatureScheme.ecdsa_secp256r1_sha256 & 0xff;
              return [withBody(f, body)];
            }),
          ]
        : [d];
    p.start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });
});
