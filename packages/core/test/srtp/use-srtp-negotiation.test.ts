/**
 * use_srtp negotiation in the engine (RFC 5764 4.1.1), both roles, on the in-memory pump: the
 * server's choice, the MKI, the keying material both ends derive, and the ServerHellos a client
 * must refuse (an on-path attacker rewriting the plaintext ServerHello: the client checks it before
 * any Finished could).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeUseSrtp, encodeUseSrtp } from '../../src/handshake/extensions/use-srtp.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, encodeServerHello, type ServerHello } from '../../src/handshake/messages/server-hello.js';
import { splitRecords } from '../../src/record/datagram.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, withBody } from '../engine/harness.js';

const SUITE = 'PSK-AES128-GCM-SHA256';

function pair(client: Partial<ClientOptions>, server: Partial<ServerOptions>, tap?: Pair['tap']): Pair {
  return new Pair({ client: { cipherSuites: SUITE, ...client }, server, tap });
}

/** The use_srtp data of the ServerHello that crossed the wire, if it had one. */
function serverHelloUseSrtp(p: Pair): ReturnType<typeof decodeUseSrtp> | undefined {
  for (const { direction, datagram } of p.wire) {
    if (direction !== 's2c') continue;
    for (const r of splitRecords(datagram)) {
      if (r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== HandshakeType.server_hello) continue;
        const ext = decodeServerHello(f.body).extensions.find((e) => e.type === ExtensionType.use_srtp);
        return ext === undefined ? undefined : decodeUseSrtp(ext.data);
      }
    }
  }
  return undefined;
}

/** A tap that rewrites the use_srtp of every ServerHello. */
function rewriteServerHello(edit: (sh: ServerHello) => ServerHello): Pair['tap'] {
  return (d, dir) =>
    dir === 's2c'
      ? [editHandshake(d, (f: HandshakeFragment) => (f.msgType === HandshakeType.server_hello ? [withBody(f, encodeServerHello(edit(decodeServerHello(f.body))))] : [f]))]
      : [d];
}

function withUseSrtp(data: Uint8Array): (sh: ServerHello) => ServerHello {
  return (sh) => ({ ...sh, extensions: [...sh.extensions.filter((e) => e.type !== ExtensionType.use_srtp), { type: ExtensionType.use_srtp, data }] });
}

describe('use_srtp negotiation (RFC 5764 4.1.1)', () => {
  it.each([
    ['SRTP_AES128_CM_SHA1_80', 1, 60],
    ['SRTP_AES128_CM_SHA1_32', 2, 60],
    ['SRTP_AEAD_AES_128_GCM', 7, 56],
    ['SRTP_AEAD_AES_256_GCM', 8, 88],
  ])('%s: both ends agree on the profile and derive the same keys, in the RFC 5764 4.2 layout', async (name, id, length) => {
    const p = await pair({ srtpProfiles: name }, { srtpProfiles: name }).handshake();
    expect(p.client.srtpProfile?.id).toBe(id);
    expect(p.s.srtpProfile?.id).toBe(id);
    const c = p.client.getSrtpKeyingMaterial();
    const s = p.s.getSrtpKeyingMaterial();
    expect(c?.material).toEqual(p.client.exportKeyingMaterial(length, 'EXTRACTOR-dtls_srtp'));
    expect(s?.material).toEqual(c?.material);
    const k = c?.profile.keyLength ?? 0;
    expect(c?.clientKey).toEqual(c?.material.subarray(0, k));
    expect(c?.serverSalt).toEqual(c?.material.subarray(length - (length / 2 - k)));
    expect(p.client.srtpMki).toBeUndefined();
  });

  it("the server picks its own most preferred profile among the client's", async () => {
    const p = await pair(
      { srtpProfiles: 'SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32:SRTP_AEAD_AES_256_GCM' },
      { srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AEAD_AES_256_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'] },
    ).handshake();
    expect(p.client.srtpProfile?.name).toBe('SRTP_AEAD_AES_256_GCM');
    expect(serverHelloUseSrtp(p)?.profiles).toEqual([8]);
  });

  it('no profile in common: no use_srtp in the ServerHello, and the handshake goes on without SRTP', async () => {
    const p = await pair({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, { srtpProfiles: 'SRTP_AEAD_AES_128_GCM' }).handshake();
    expect(serverHelloUseSrtp(p)).toBeUndefined();
    expect(p.client.srtpProfile).toBeUndefined();
    expect(p.s.srtpProfile).toBeUndefined();
    expect(p.client.getSrtpKeyingMaterial()).toBeUndefined();
  });

  it('a server without srtpProfiles ignores the offer; a client without them offers nothing', async () => {
    const p = await pair({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, {}).handshake();
    expect(serverHelloUseSrtp(p)).toBeUndefined();
    expect(p.client.srtpProfile).toBeUndefined();
    const q = await pair({}, { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }).handshake();
    expect(q.s.srtpProfile).toBeUndefined();
  });

  it("the server echoes the client's MKI; both ends report it", async () => {
    const mki = Uint8Array.from([1, 2, 3]);
    const p = await pair({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80', srtpMki: mki }, { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }).handshake();
    expect(serverHelloUseSrtp(p)?.mki).toEqual(mki);
    expect(p.client.srtpMki).toEqual(mki);
    expect(p.s.srtpMki).toEqual(mki);
    expect(p.s.getSrtpKeyingMaterial()?.mki).toEqual(mki);
  });

  it('keying material only after the handshake', () => {
    const p = pair({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' });
    expect(p.client.getSrtpKeyingMaterial()).toBeUndefined();
  });
});

describe('a ServerHello the client must refuse (RFC 5764 4.1.1)', () => {
  const client = { srtpProfiles: 'SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32', srtpMki: Uint8Array.from([9, 9]) };
  const server = { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' };

  it.each([
    ['a profile the client did not offer', encodeUseSrtp({ profiles: [7], mki: Uint8Array.from([9, 9]) }), /did not offer/],
    ['an unknown profile', encodeUseSrtp({ profiles: [0x7777], mki: new Uint8Array(0) }), /did not offer/],
    ['two profiles', encodeUseSrtp({ profiles: [1, 2], mki: new Uint8Array(0) }), /exactly one/],
    ['another MKI', encodeUseSrtp({ profiles: [1], mki: Uint8Array.from([9, 8]) }), /srtp_mki/],
  ])('%s → illegal_parameter', async (_name, data, message) => {
    const p = pair(client, server, rewriteServerHello(withUseSrtp(data))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toMatch(message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a malformed use_srtp → decode_error', async () => {
    const p = pair(client, server, rewriteServerHello(withUseSrtp(Uint8Array.from([0, 2, 0, 1])))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
  });

  it('use_srtp the client did not offer → unsupported_extension', async () => {
    const p = pair({}, server, rewriteServerHello(withUseSrtp(encodeUseSrtp({ profiles: [1], mki: new Uint8Array(0) })))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unsupported_extension);
  });
});

describe("a ClientHello's use_srtp the server must refuse", () => {
  it('a malformed use_srtp → decode_error from the server', async () => {
    const tap: Pair['tap'] = (d, dir) =>
      dir === 'c2s'
        ? [
            editHandshake(d, (f) => {
              if (f.msgType !== HandshakeType.client_hello) return [f];
              const ch = decodeClientHello(f.body);
              const extensions = ch.extensions.map((e) => (e.type === ExtensionType.use_srtp ? { type: e.type, data: Uint8Array.from([0, 0, 0]) } : e));
              return [withBody(f, encodeClientHello({ ...ch, extensions }))];
            }),
          ]
        : [d];
    const p = pair({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, tap).start();
    await p.run();
    expect(p.server?.error?.alertName).toBe('decode_error');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decode_error);
  });
});
