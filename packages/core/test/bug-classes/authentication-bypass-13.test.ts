/**
 * Bug class 1 for DTLS 1.3 (RFC 9147, RFC 8446 4.4): a peer that skips or botches what
 * authenticates it — the Finished (4.4.4), the CertificateVerify (4.4.3) or one signed over the
 * wrong transcript, the server's Certificate with a certificate suite (4.4.2), the PSK binder
 * (4.2.11) — never gets a handshake completed. The detecting side ends with the RFC's alert
 * (unexpected_message for a message out of order, RFC 8446 6.2; decrypt_error for a Finished,
 * signature or binder that does not verify, 4.4.3, 4.4.4, 4.2.11), the peer is told, and no
 * application data crosses.
 *
 * The peer's side is forged inside its keys (inject-13.ts sealEdits): an on-path attacker cannot
 * touch epoch 2 at all, so only a peer holding the keys can send these.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, utf8 } from '../../src/bytes.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import type { CertificateSigner } from '../../src/key-exchange/certificate-credentials.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, type Tap } from '../engine/harness.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { handshakeTypes } from '../support/wire.js';
import { editFragments, sealEdits, typesIn, V13 } from './inject-13.js';

const TIMING = { handshakeTimeoutMs: 6_000 };

function pskPair(tap?: Tap): Pair {
  return new Pair({ client: { ...V13, ...TIMING }, server: { ...V13, ...TIMING }, tap });
}

function certPair(signer?: (real: CertificateSigner) => CertificateSigner): Pair {
  const server = serverX509('ecdsa');
  return new Pair({
    client: { ...V13, ...TIMING, psk: undefined, x509: clientX509(), servername: 'localhost' },
    server: { ...V13, ...TIMING, psk: undefined, x509: signer === undefined ? server : { ...server, signer: signer(server.signer) } },
  });
}

/** Nothing completed on either side, and no application data was delivered. */
function expectNothingCompleted(p: Pair): void {
  expect(p.clientEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
  expect(p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
  expect([...p.clientEvents, ...p.serverEvents].some((e) => e.type === 'data')).toBe(false);
}

/** Turns every message of type `from` a side seals into one of type `to` (same message_seq, same body, every fragment). */
function retype(p: Pair, side: 'client' | 'server', from: number, to: number): void {
  sealEdits(p.client, (who, r) => {
    if (who !== side || r.type !== 22 || !typesIn(r.content).includes(from)) return undefined;
    return { type: r.type, content: editFragments(r.content, (f) => [f.msgType === from ? { ...f, msgType: to } : f]) };
  });
}

/** Flips the last byte of the first message of type `type` a side seals (its verify_data or signature). */
function corrupt(p: Pair, side: 'client' | 'server', type: number): void {
  let done = false;
  sealEdits(p.client, (who, r) => {
    if (who !== side || done || r.type !== 22 || !typesIn(r.content).includes(type)) return undefined;
    done = true;
    return {
      type: r.type,
      content: editFragments(r.content, (f) => {
        if (f.msgType !== type) return [f];
        const body = f.body.slice();
        body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 1;
        return [{ ...f, body }];
      }),
    };
  });
}

describe('the server skips or botches what authenticates it (our 1.3 client refuses)', () => {
  it('its Finished replaced by a NewSessionTicket (Finished skipped) → unexpected_message in wait_finished', async () => {
    const p = pskPair();
    retype(p, 'server', HandshakeType.finished, HandshakeType.new_session_ticket);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain('wait_finished');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
    expectNothingCompleted(p);
  });

  it('its Finished with a wrong verify_data → decrypt_error (RFC 8446 4.4.4)', async () => {
    const p = pskPair();
    corrupt(p, 'server', HandshakeType.finished);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
    expectNothingCompleted(p);
  });

  it('its Finished withheld, application data in its place (under the handshake keys) → unexpected_message (RFC 9147 6.1, RFC 8446 5)', async () => {
    const p = pskPair();
    sealEdits(p.client, (who, r) => (who === 'server' && r.type === 22 && typesIn(r.content).includes(HandshakeType.finished) ? { type: 23, content: utf8('no finished') } : undefined));
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
    expectNothingCompleted(p);
  });

  it('certificate suite, the CertificateVerify skipped (its Finished in its place) → unexpected_message in wait_certificate_verify', async () => {
    const p = certPair();
    retype(p, 'server', HandshakeType.certificate_verify, HandshakeType.finished);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain('wait_certificate_verify');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
    expectNothingCompleted(p);
  });

  it('certificate suite, the Certificate skipped (a CertificateVerify in its place) → unexpected_message in wait_certificate_or_request', async () => {
    const p = certPair();
    retype(p, 'server', HandshakeType.certificate, HandshakeType.certificate_verify);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain('wait_certificate_or_request');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
    expectNothingCompleted(p);
  });

  it.each([
    ['the transcript hash (another handshake)', (content: Uint8Array): Uint8Array => concatBytes(content.subarray(0, content.length - 1), Uint8Array.of((content[content.length - 1] ?? 0) ^ 1))],
    ['the client context string', (content: Uint8Array): Uint8Array => concatBytes(content.subarray(0, 64), utf8('TLS 1.3, client CertificateVerify'), content.subarray(64 + 33))],
  ])('a CertificateVerify signed over the wrong content: %s → decrypt_error (RFC 8446 4.4.3)', async (_name, wrong) => {
    const p = certPair((real) => ({ ...real, sign: (scheme, content) => real.sign(scheme, wrong(content)) }));
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decrypt_error);
    expectNothingCompleted(p);
  });
});

describe('the client skips or botches what authenticates it (our 1.3 server refuses)', () => {
  it('its Finished replaced by a KeyUpdate → unexpected_message in wait_finished', async () => {
    const p = pskPair();
    retype(p, 'client', HandshakeType.finished, HandshakeType.key_update);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.s.error?.message).toContain('where the client Finished was expected');
    expect(p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expect(p.serverEvents.some((e) => e.type === 'data')).toBe(false);
    // The server's alert comes under its handshake keys, after the client moved its reading to epoch 3.
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('its Finished with a wrong verify_data → decrypt_error, and its application data is never delivered', async () => {
    const p = pskPair();
    corrupt(p, 'client', HandshakeType.finished);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expect(p.serverEvents.some((e) => e.type === 'handshake-complete' || e.type === 'data')).toBe(false);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it('a server asking for a client certificate: the client Finished in place of its Certificate → unexpected_message in wait_client_certificate', async () => {
    const server = serverX509('ecdsa', { requestCert: true, rejectUnauthorized: false });
    const p = new Pair({ client: { ...V13, ...TIMING, psk: undefined, x509: clientX509(), servername: 'localhost' }, server: { ...V13, ...TIMING, psk: undefined, x509: server } });
    // Our client answers a CertificateRequest with an (empty) Certificate: a Finished in its place.
    retype(p, 'client', HandshakeType.certificate, HandshakeType.finished);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.s.error?.message).toContain('wait_client_certificate');
    expect(p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });
});

describe('the PSK binder (RFC 8446 4.2.11): the second ClientHello edited on the wire after the cookie', () => {
  /** Rewrites the pre_shared_key extension of the ClientHello that carries the cookie. */
  function editPsk(edit: (data: Uint8Array) => Uint8Array): Tap {
    return (d, dir) => {
      if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_hello)) return [d];
      return [
        editHandshake(d, (f) => {
          const hello = decodeClientHello(f.body);
          if (findExtension(hello.extensions, ExtensionType.cookie) === undefined) return [f];
          const extensions = hello.extensions.map((e) => (e.type === ExtensionType.pre_shared_key ? { type: e.type, data: edit(e.data) } : e));
          const body = encodeClientHello({ ...hello, extensions });
          return [{ ...f, length: body.length, fragmentOffset: 0, body }];
        }),
      ];
    };
  }

  it('a binder one bit off → decrypt_error, nothing completed', async () => {
    const p = pskPair(
      editPsk((data) => {
        const out = data.slice();
        out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0x80;
        return out;
      }),
    ).start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expectNothingCompleted(p);
  });

  it('no binder at all (an empty binders list) → decode_error: each identity needs its binder', async () => {
    const p = pskPair(
      editPsk((data) => {
        // OfferedPsks: identities<7..2^16-1>, then binders<33..2^16-1>: keep the identities, empty binders.
        const identitiesLength = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
        return concatBytes(data.subarray(0, 2 + identitiesLength), Uint8Array.of(0, 0));
      }),
    ).start();
    await p.run(10_000);
    expect(p.s.state).toBe('closed');
    expect([AlertDescription.decode_error, AlertDescription.illegal_parameter]).toContain(p.s.error?.alert);
    expect(p.s.error?.fromPeer).toBe(false);
    expectNothingCompleted(p);
  });
});
