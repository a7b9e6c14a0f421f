/**
 * Certificate handshakes that must fail, each with the alert it must end in: on the side that
 * detects the problem (its own error, fromPeer = false) and on the other side, which is told
 * (close event with the alert, fromPeer = true).
 *
 * The misbehaving peer is our own engine with one thing changed: an on-path rewrite of its
 * epoch-0 handshake messages (the harness tap), a credential that signs the wrong bytes, or a
 * record layer that seals a Finished with one byte flipped (a record the peer can authenticate,
 * so the Finished check itself is what fails, not the MAC).
 */
import { sign as cryptoSign } from 'node:crypto';
import { VirtualClock } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import type { DtlsConnection } from '../../src/connection.js';
import { DtlsError } from '../../src/errors.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { encodeCertificate } from '../../src/handshake/messages/certificate.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeEcdheServerKeyExchange, encodeEcdheServerKeyExchange } from '../../src/handshake/messages/server-key-exchange.js';
import { signedParamsContent } from '../../src/handshake/dtls12/signature-selection.js';
import type { CertificateSigner, CertificateVerifier } from '../../src/key-exchange/certificate-credentials.js';
import { ContentType } from '../../src/record/content-type.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, type Tap, recordsOf, withBody } from './harness.js';
import { SimPair, VirtualDelays } from './sim-harness.js';
import {
  asyncSigner,
  asyncVerifier,
  certificateSigner,
  certificateVerifier,
  clientX509,
  type KeyKind,
  serverX509,
  type ServerX509Options,
  testPki,
} from '../support/test-certificates.js';

const SUITE: Record<KeyKind, string> = { ecdsa: 'ECDHE-ECDSA-AES128-GCM-SHA256', rsa: 'ECDHE-RSA-AES128-GCM-SHA256' };
const KINDS: KeyKind[] = ['ecdsa', 'rsa'];

interface CertPairOptions {
  kind?: KeyKind;
  /** The client's own certificate (sent when the server asks). */
  clientCert?: KeyKind;
  server?: ServerX509Options;
  clientOptions?: Partial<ClientOptions>;
  serverOptions?: Partial<ServerOptions>;
  tap?: Tap;
}

/** A harness pair (deterministic pump, tap) on a certificate suite. */
function certPair(o: CertPairOptions = {}): Pair {
  const kind = o.kind ?? 'ecdsa';
  return new Pair({
    client: { cipherSuites: SUITE[kind], x509: clientX509(o.clientCert ? { cert: o.clientCert } : {}), servername: 'localhost', ...o.clientOptions },
    server: { cipherSuites: SUITE[kind], x509: serverX509(kind, o.server), ...o.serverOptions },
    tap: o.tap,
  });
}

/** A tap that edits the epoch-0 handshake fragments going one way, and counts the edits. */
function rewrite(direction: 'c2s' | 's2c', edit: (f: HandshakeFragment) => HandshakeFragment[] | undefined): Tap & { readonly edits: number } {
  let edits = 0;
  const tap: Tap = (d, dir) => {
    if (dir !== direction) return [d];
    return [
      editHandshake(d, (f) => {
        const out = edit(f);
        if (out === undefined) return [f];
        edits++;
        return out;
      }),
    ];
  };
  return Object.defineProperty(tap, 'edits', { get: () => edits }) as Tap & { readonly edits: number };
}

/** The fragment that ends a message of type `msgType` (holds its last bytes: the signature). */
const isLastFragment = (f: HandshakeFragment, msgType: number): boolean => f.msgType === msgType && f.fragmentOffset + f.body.length === f.length;

function flipLastByte(f: HandshakeFragment): HandshakeFragment {
  const body = f.body.slice();
  body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x01;
  return { ...f, body };
}

/**
 * Makes a connection's record layer pass every handshake record of a protected epoch (its
 * Finished) through `edit` before sealing: the peer opens the record fine (right keys, right
 * sequence) and finds whatever `edit` made of the message inside.
 */
function editProtectedHandshake(conn: DtlsConnection, edit: (payload: Uint8Array) => Uint8Array): { edits: number } {
  const records = recordsOf(conn);
  const seal = records.seal.bind(records);
  const counter = { edits: 0 };
  records.seal = (type: number, payload: Uint8Array, epoch?: number) => {
    if (type === ContentType.handshake && (epoch ?? records.writeEpoch) > 0) {
      counter.edits++;
      return seal(type, edit(payload), epoch);
    }
    return seal(type, payload, epoch);
  };
  return counter;
}

describe('ServerKeyExchange', () => {
  it.each(KINDS)('signature tampered (%s) → decrypt_error at the client, and the server is told', async (kind) => {
    const tap = rewrite('s2c', (f) => (isLastFragment(f, HandshakeType.server_key_exchange) ? [flipLastByte(f)] : undefined));
    const p = certPair({ kind, tap }).start();
    await p.run();
    expect(tap.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expect(p.client.error?.message).toContain('ServerKeyExchange signature');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
  });

  it('validly signed with a scheme the client did not offer (rsa_pkcs1_sha512) → illegal_parameter', async () => {
    // The server re-signs its ECDHE parameters properly, with its own key, but with a scheme
    // missing from the client's signature_algorithms (RFC 5246 7.4.1.4.1).
    const key = testPki().rsa.serverKey;
    let clientRandom: Uint8Array = new Uint8Array(0);
    let serverRandom: Uint8Array = new Uint8Array(0);
    const resign = rewrite('s2c', (f) => {
      if (f.msgType === HandshakeType.server_hello) serverRandom = decodeServerHello(f.body).random;
      if (f.msgType !== HandshakeType.server_key_exchange) return undefined;
      expect(f.body.length).toBe(f.length); // whole at MTU 1200
      const ske = decodeEcdheServerKeyExchange(f.body);
      const signature = Uint8Array.from(cryptoSign('sha512', signedParamsContent(clientRandom, serverRandom, ske.params), key));
      return [withBody(f, encodeEcdheServerKeyExchange({ params: ske.params, signed: { scheme: SignatureScheme.rsa_pkcs1_sha512, signature } }))];
    });
    const tap: Tap = (d, dir, i) => {
      if (dir === 'c2s') {
        editHandshake(d, (f) => {
          if (f.msgType === HandshakeType.client_hello) clientRandom = decodeClientHello(f.body).random;
          return [f];
        });
      }
      return resign(d, dir, i);
    };
    const p = certPair({ kind: 'rsa', tap }).start();
    await p.run();
    expect(resign.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toContain('did not offer');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('an ECDSA scheme in an ECDHE_RSA suite (offered, but not for this suite) → illegal_parameter', async () => {
    const tap = rewrite('s2c', (f) => {
      if (f.msgType !== HandshakeType.server_key_exchange) return undefined;
      const ske = decodeEcdheServerKeyExchange(f.body);
      return [withBody(f, encodeEcdheServerKeyExchange({ ...ske, signed: { ...ske.signed, scheme: SignatureScheme.ecdsa_secp256r1_sha256 } }))];
    });
    const p = certPair({ kind: 'rsa', tap }).start();
    await p.run();
    expect(tap.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('no signature scheme in common (client accepts only rsa_pkcs1_sha256, server key signs only PSS) → handshake_failure at the server', async () => {
    const pki = testPki();
    const p = certPair({
      kind: 'rsa',
      clientOptions: { x509: clientX509({ verifier: certificateVerifier([pki.rsa.root], [SignatureScheme.rsa_pkcs1_sha256]) }) },
      server: { signer: certificateSigner(pki.rsa.serverChain, pki.rsa.serverKey, [SignatureScheme.rsa_pss_rsae_sha256]) },
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.handshake_failure);
    expect(p.s.error?.message).toContain('no cipher suite in common');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
  });
});

describe('server certificate', () => {
  it('an empty Certificate from the server → handshake_failure at the client, and the server is told', async () => {
    const empty = encodeCertificate({ certificates: [] });
    // The chain spans several records: the first fragment becomes the whole (empty) message, the rest go.
    const tap = rewrite('s2c', (f) => (f.msgType !== HandshakeType.certificate ? undefined : f.fragmentOffset === 0 ? [withBody(f, empty)] : []));
    const p = certPair({ tap }).start();
    await p.run();
    expect(tap.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.handshake_failure);
  });

  it('a chain from a CA the client does not trust → unknown_ca at the client, and the server is told', async () => {
    const p = certPair({ kind: 'rsa', clientOptions: { x509: clientX509({ trust: [testPki().ecdsa.root] }) } }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unknown_ca);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unknown_ca);
  });

  it('a certificate for another name → bad_certificate at the client, and the server is told', async () => {
    const p = certPair({ clientOptions: { servername: 'example.com' } }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.bad_certificate);
    expect(p.client.error?.message).toContain('example.com');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.bad_certificate);
  });

  it('the certificate matches the IP literal 127.0.0.1 (subjectAltName IP)', async () => {
    const p = await certPair({ clientOptions: { servername: '127.0.0.1' } }).handshake();
    expect(p.client.peerCertificates).toEqual(testPki().ecdsa.serverChain);
    // servername says what was sent, as node:tls: nothing for an address (RFC 6066 3), on both sides.
    expect(p.client.servername).toBeUndefined();
    expect(p.server?.state).toBe('established');
    expect(p.server?.servername).toBeUndefined();
  });

  it('a host name is sent and is the servername of both sides', async () => {
    const p = await certPair({ clientOptions: { servername: 'localhost' } }).handshake();
    expect(p.client.servername).toBe('localhost');
    expect(p.server?.servername).toBe('localhost');
  });
});

describe('client certificate', () => {
  it.each(KINDS)('Certificate without CertificateVerify (%s) → unexpected_message at the server, and the client is told', async (kind) => {
    // A client that leaves the CertificateVerify out of flight 5: drop it (epoch 0), and number
    // the Finished (epoch 1, sealed by the client itself) as the message that follows the
    // ClientKeyExchange. (Dropping the CertificateVerify alone would leave a gap in message_seq,
    // and the server would wait for the missing message until the handshake deadline.)
    const dropCv = rewrite('c2s', (f) => (f.msgType === HandshakeType.certificate_verify ? [] : undefined));
    const p = certPair({ kind, clientCert: kind, server: { requestCert: true }, tap: dropCv });
    const renumbered = editProtectedHandshake(p.client, (payload) => {
      const out = payload.slice();
      expect(out[0]).toBe(HandshakeType.finished);
      const seq = (((out[4] ?? 0) << 8) | (out[5] ?? 0)) - 1;
      out[4] = seq >> 8;
      out[5] = seq & 0xff;
      return out;
    });
    p.start();
    await p.run();
    expect(dropCv.edits).toBeGreaterThan(0);
    expect(renumbered.edits).toBeGreaterThan(0);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.s.error?.message).toContain('wait_certificate_verify');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it.each(KINDS)('CertificateVerify signed by the right key over other bytes (%s) → decrypt_error at the server, and the client is told', async (kind) => {
    const pki = testPki()[kind];
    const honest = certificateSigner(pki.clientChain, pki.clientKey);
    const signer: CertificateSigner = { ...honest, sign: (scheme, data) => honest.sign(scheme, data.subarray(1)) };
    const p = certPair({ kind, server: { requestCert: true }, clientOptions: { x509: clientX509({ signer }) } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expect(p.s.error?.message).toContain('CertificateVerify');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it('requestCert + rejectUnauthorized, the client has no certificate (empty Certificate) → handshake_failure at the server', async () => {
    const p = certPair({ server: { requestCert: true, rejectUnauthorized: true } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.handshake_failure);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
  });

  it('requestCert without rejectUnauthorized: a client without a certificate is let in, and no chain is exposed', async () => {
    const p = await certPair({ server: { requestCert: true, rejectUnauthorized: false } }).handshake();
    expect(p.s.peerCertificates).toEqual([]);
  });

  it('a client chain the verifier rejects (issued by a CA the server does not trust) → unknown_ca at the server', async () => {
    const p = certPair({ kind: 'ecdsa', clientCert: 'rsa', server: { requestCert: true, trust: [testPki().ecdsa.root] } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unknown_ca);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unknown_ca);
  });

  it('a client chain with a link missing (leaf then root) → bad_certificate at the server', async () => {
    const pki = testPki().ecdsa;
    const broken = certificateSigner([pki.clientChain[0] as Uint8Array, pki.clientChain[2] as Uint8Array], pki.clientKey);
    const p = certPair({ server: { requestCert: true }, clientOptions: { x509: clientX509({ signer: broken }) } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.bad_certificate);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.bad_certificate);
  });
});

describe('Finished', () => {
  const flipVerifyData = (payload: Uint8Array): Uint8Array => {
    const out = payload.slice();
    out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0x80; // the last byte of verify_data
    return out;
  };

  it.each(KINDS)('client Finished tampered (%s) → decrypt_error at the server, and the client is told', async (kind) => {
    const p = certPair({ kind, clientCert: kind, server: { requestCert: true } });
    const tampered = editProtectedHandshake(p.client, flipVerifyData);
    p.start();
    await p.run();
    expect(tampered.edits).toBeGreaterThan(0);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expect(p.s.error?.message).toContain('Finished does not verify');
    expect(p.s.stats.badMac).toBe(0); // the record authenticated: the Finished check caught it
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it.each(KINDS)('server Finished tampered (%s) → decrypt_error at the client, and the server is told', async (kind) => {
    const p = certPair({ kind });
    let tampered: { edits: number } | undefined;
    // The server connection exists once the endpoint accepts the second ClientHello.
    p.tap = (d) => {
      if (p.server && !tampered) tampered = editProtectedHandshake(p.server, flipVerifyData);
      return [d];
    };
    p.start();
    await p.run();
    expect(tampered?.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expect(p.client.error?.message).toContain('Finished does not verify');
    expect(p.client.stats.badMac).toBe(0);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
  });
});

describe('asynchronous signers and verifiers', () => {
  it.each(KINDS)('%s: every signature and check answered seconds later (virtual time), both sides, client certificate', async (kind) => {
    const clock = new VirtualClock(0);
    const delays = new VirtualDelays(clock);
    const calls: string[] = [];
    const after =
      (what: string, ms: number) =>
      <T>(value: () => T): Promise<T> => {
        calls.push(what);
        return delays.after(ms, value);
      };
    const pki = testPki();
    const trust = [pki.ecdsa.root, pki.rsa.root];
    const pair = new SimPair({
      suite: SUITE[kind],
      clock,
      record: true,
      client: {
        servername: 'localhost',
        x509: {
          type: 'x509',
          signer: asyncSigner(certificateSigner(pki[kind].clientChain, pki[kind].clientKey), after('client sign', 700)),
          verifier: asyncVerifier(certificateVerifier(trust), after('client verify', 1_500)),
        },
      },
      server: {
        x509: serverX509(kind, {
          requestCert: true,
          signer: asyncSigner(certificateSigner(pki[kind].serverChain, pki[kind].serverKey), after('server sign', 1_200)),
          verifier: asyncVerifier(certificateVerifier(trust), after('server verify', 2_500)),
        }),
      },
      wrapClient: (e) => delays.wrap(e),
      wrapServer: (e) => delays.wrap(e),
    });
    const hs = await pair.handshake();
    expect(pair.client.error).toBeUndefined();
    expect(pair.serverConn?.error).toBeUndefined();
    expect(pair.established).toBe(true);
    expect(calls.sort()).toEqual(['client sign', 'client verify', 'client verify', 'server sign', 'server verify', 'server verify']);
    // Server signs (1.2 s), client checks the chain then the signature (1.5 s each), signs
    // (0.7 s), server checks the chain and the CertificateVerify (2.5 s each): the handshake
    // waits for each, in order.
    expect(hs.time).toBeGreaterThanOrEqual(1_200 + 1_500 * 2 + 700 + 2_500 * 2);
    expect(pair.client.peerCertificates).toEqual(pki[kind].serverChain);
    expect(pair.serverConn?.peerCertificates).toEqual(pki[kind].clientChain);
    const data = await pair.exchange('ping', 'pong');
    expect(data.reason).toBe('until');
  });

  const later = <T>(value: () => T | Promise<T>): Promise<T> => new Promise((resolve) => setImmediate(resolve)).then(value);
  const unknownCa = () => Promise.reject(new DtlsError(AlertDescription.unknown_ca, 'not one of ours'));

  it('a client verifier that rejects with unknown_ca → unknown_ca at the client, and the server is told', async () => {
    const verifier: CertificateVerifier = { ...certificateVerifier([testPki().ecdsa.root]), verifyChain: () => later(unknownCa) };
    const p = certPair({ clientOptions: { x509: clientX509({ verifier }) } }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unknown_ca);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unknown_ca);
  });

  it('a server verifier that rejects the client chain with unknown_ca → unknown_ca at the server, and the client is told', async () => {
    const verifier: CertificateVerifier = { ...certificateVerifier([testPki().ecdsa.root]), verifyChain: () => later(unknownCa) };
    const p = certPair({ clientCert: 'ecdsa', server: { requestCert: true, verifier } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unknown_ca);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unknown_ca);
  });

  it('an asynchronous signature check that answers false (ServerKeyExchange) → decrypt_error at the client', async () => {
    const verifier: CertificateVerifier = { ...certificateVerifier([testPki().ecdsa.root]), verifySignature: () => later(() => false) };
    const p = certPair({ clientOptions: { x509: clientX509({ verifier }) } }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
  });

  it('a server signer that rejects (a key store down) → internal_error at the server, and the client is told', async () => {
    const pki = testPki().ecdsa;
    const signer: CertificateSigner = { ...certificateSigner(pki.serverChain, pki.serverKey), sign: () => later(() => Promise.reject(new Error('HSM offline'))) };
    const p = certPair({ server: { signer } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.internal_error);
    expect(p.s.error?.message).toContain('HSM offline');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.internal_error);
  });

  it('a client signer that rejects → internal_error at the client, and the server is told', async () => {
    const pki = testPki().ecdsa;
    const signer: CertificateSigner = { ...certificateSigner(pki.clientChain, pki.clientKey), sign: () => later(() => Promise.reject(new Error('token removed'))) };
    const p = certPair({ server: { requestCert: true }, clientOptions: { x509: clientX509({ signer }) } }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.internal_error);
    expect(p.client.error?.message).toContain('token removed');
    expectPeerFailure(p.s, p.serverEvents, AlertDescription.internal_error);
  });
});

describe('sanity: the same pairs without the fault complete', () => {
  it.each(KINDS)('%s with a client certificate', async (kind) => {
    const p = await certPair({ kind, clientCert: kind, server: { requestCert: true } }).handshake();
    expect(p.s.peerCertificates).toEqual(testPki()[kind].clientChain);
    p.client.send(utf8('x'));
    await p.run();
    expect(p.serverEvents.some((e) => e.type === 'data')).toBe(true);
  });
});
