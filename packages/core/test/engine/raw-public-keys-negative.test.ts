/**
 * Raw public key handshakes (RFC 7250) that must fail, each with its alert: certificate type
 * extensions that are malformed or answer what was not offered, and a raw-key Certificate that is
 * not one SubjectPublicKeyInfo. The misbehaving peer is our own engine with its epoch-0 handshake
 * messages rewritten on the path (the harness tap).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, type Tap, withBody } from './harness.js';
import { clientRpk, serverRpk } from '../support/test-raw-public-keys.js';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

/** Rewrites one extension of every ClientHello (c2s) or ServerHello (s2c); counts the edits. */
function editExtension(direction: 'c2s' | 's2c', type: ExtensionType, data: Uint8Array): { tap: Tap; state: { edits: number } } {
  const state = { edits: 0 };
  const swap = (exts: readonly Extension[]): Extension[] =>
    exts.map((e) => {
      if (e.type !== type) return e;
      state.edits++;
      return { type, data };
    });
  const edit = (f: HandshakeFragment): HandshakeFragment[] => {
    if (direction === 'c2s' && f.msgType === HandshakeType.client_hello) {
      const ch = decodeClientHello(f.body);
      return [withBody(f, encodeClientHello({ ...ch, extensions: swap(ch.extensions) }))];
    }
    if (direction === 's2c' && f.msgType === HandshakeType.server_hello) {
      const sh = decodeServerHello(f.body);
      return [withBody(f, encodeServerHello({ ...sh, extensions: swap(sh.extensions) }))];
    }
    return [f];
  };
  const tap: Tap = (d, dir) => (dir === direction ? [editHandshake(d, edit)] : [d]);
  return { tap, state };
}

/** Replaces the body of one handshake message type going one way. */
function replaceBody(direction: 'c2s' | 's2c', msgType: number, body: (old: Uint8Array) => Uint8Array): Tap {
  return (d, dir) => (dir === direction ? [editHandshake(d, (f) => (f.msgType === msgType ? [withBody(f, body(f.body))] : [f]))] : [d]);
}

function rpkPair(tap: Tap): Pair {
  return new Pair({ client: { cipherSuites: SUITE, x509: clientRpk() }, server: { cipherSuites: SUITE, x509: serverRpk() }, tap });
}

describe('certificate type extensions (RFC 7250 4)', () => {
  it('the server answers server_certificate_type X.509, which the client did not offer → illegal_parameter', async () => {
    const { tap, state } = editExtension('s2c', ExtensionType.server_certificate_type, Uint8Array.of(0));
    const p = rpkPair(tap).start();
    await p.run();
    expect(state.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toMatch(/certificate type 0 in server_certificate_type, which we did not offer/);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a ServerHello choice of two bytes → decode_error', async () => {
    const { tap, state } = editExtension('s2c', ExtensionType.client_certificate_type, Uint8Array.of(2, 2));
    const p = rpkPair(tap).start();
    await p.run();
    expect(state.edits).toBeGreaterThan(0);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
  });

  it('a ClientHello list with an empty vector → decode_error at the server', async () => {
    const { tap, state } = editExtension('c2s', ExtensionType.server_certificate_type, Uint8Array.of(0));
    const p = rpkPair(tap).start();
    await p.run();
    expect(state.edits).toBeGreaterThan(0);
    expect(p.server?.error?.alert ?? p.client.error?.alert).toBe(AlertDescription.decode_error);
  });

  it('a client that takes only OpenPGP (1) server certificates → unsupported_certificate at the server', async () => {
    const { tap, state } = editExtension('c2s', ExtensionType.server_certificate_type, Uint8Array.of(1, 1));
    const p = rpkPair(tap).start();
    await p.run();
    expect(state.edits).toBeGreaterThan(0);
    expect(p.server?.error?.alert).toBe(AlertDescription.unsupported_certificate);
    expect(p.server?.error?.fromPeer).toBe(false);
    expect(p.server?.error?.message).toMatch(/no server certificate type in common/);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unsupported_certificate);
  });
});

describe('the raw-key Certificate (RFC 7250 3)', () => {
  it('a SubjectPublicKeyInfo followed by stray bytes → decode_error at the client', async () => {
    const p = rpkPair(replaceBody('s2c', HandshakeType.certificate, (old) => Uint8Array.from([...old, 0xff]))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
  });

  it('an X.509 certificate_list where a raw key was negotiated → refused by the pins (certificate_unknown)', async () => {
    // A list of one "certificate" holding the SPKI: 3 more length bytes than a raw-key Certificate.
    const p = rpkPair(replaceBody('c2s', HandshakeType.certificate, (old) => Uint8Array.from([0, (old.length >> 8) & 0xff, old.length & 0xff, ...old]))).start();
    await p.run();
    expect(p.server?.error?.alert).toBe(AlertDescription.certificate_unknown);
  });
});
