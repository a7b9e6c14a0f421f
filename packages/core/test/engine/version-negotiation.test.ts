/**
 * minVersion/maxVersion (node:tls's names, 'DTLSv1.2' | 'DTLSv1.3') and the client's side of the
 * shared hello phase: with maxVersion 'DTLSv1.3' one ClientHello offers DTLS 1.3 (RFC 9147 5.3,
 * RFC 8446 4.1.2: supported_versions, supported_groups, key_share, the TLS 1.3 suites first) and
 * 1.2 when minVersion allows; a 1.2 server's answer goes on in the DTLS 1.2 handshake with the
 * same ClientHello, unless its random carries the downgrade sentinel (RFC 8446 4.1.3) or
 * minVersion is 'DTLSv1.3' (protocol_version). Real 1.2-only peers: test/interop in psk and x509.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError } from '../../src/errors.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeKeyShareClientHello } from '../../src/handshake/extensions/key-share.js';
import { decodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import { decodeSupportedVersionsClientHello } from '../../src/handshake/extensions/supported-versions.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import { DOWNGRADE_BELOW_1_2, DOWNGRADE_TO_1_2 } from '../../src/handshake/messages/downgrade-sentinel.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { resolveClientOptions, resolveServerOptions } from '../../src/options.js';
import { resolveVersionRange } from '../../src/protocol-versions.js';
import { serverVersionChoice } from '../../src/handshake/dtls13/server-version-choice.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { splitRecords } from '../../src/record/datagram.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { serverRpk } from '../support/test-raw-public-keys.js';

const serverRpkX509 = (): ReturnType<typeof serverRpk> => serverRpk();
import { Pair, editHandshake, expectLocalFailure, withBody } from './harness.js';

/** The ClientHellos a client sent, in order. */
function clientHellos(pair: Pair): ClientHello[] {
  const out: ClientHello[] = [];
  for (const w of pair.wire) {
    if (w.direction !== 'c2s') continue;
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== 22 || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) if (f.msgType === HandshakeType.client_hello) out.push(decodeClientHello(f.body));
    }
  }
  return out;
}

/** A tap that ends the server's random in `sentinel` (an on-path attacker, or a 1.3-capable server that downgraded). */
function sentinelTap(sentinel: Uint8Array) {
  return (datagram: Uint8Array, direction: 'c2s' | 's2c'): Uint8Array[] => {
    if (direction !== 's2c') return [datagram];
    return [
      editHandshake(datagram, (f) => {
        if (f.msgType !== HandshakeType.server_hello) return [f];
        const sh = decodeServerHello(f.body);
        const random = sh.random.slice();
        random.set(sentinel, 24);
        return [withBody(f, encodeServerHello({ ...sh, random }))];
      }),
    ];
  };
}

describe('minVersion / maxVersion', () => {
  it('default to DTLSv1.2 to DTLSv1.3 (1.3 preferred); check names and order', () => {
    expect(resolveVersionRange(undefined, undefined)).toEqual({ minVersion: 'DTLSv1.2', maxVersion: 'DTLSv1.3' });
    expect(resolveVersionRange('DTLSv1.3', undefined)).toEqual({ minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' });
    expect(resolveVersionRange(undefined, 'DTLSv1.3')).toEqual({ minVersion: 'DTLSv1.2', maxVersion: 'DTLSv1.3' });
    expect(() => resolveVersionRange('TLSv1.3', undefined)).toThrow(TypeError);
    expect(() => resolveVersionRange('DTLSv1.3', 'DTLSv1.2')).toThrow(RangeError);
    const options = resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.3', cipherSuites: ['TLS_AES_256_GCM_SHA384', 'TLS_PSK_WITH_AES_128_GCM_SHA256'] });
    expect(options.tls13Suites.map((s) => s.name)).toEqual(['TLS_AES_256_GCM_SHA384']);
    expect(options.suites.map((s) => s.name)).toEqual(['TLS_PSK_WITH_AES_128_GCM_SHA256']);
    // Without 1.3 the 1.3 suites are neither offered nor required.
    expect(resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.2' }).tls13Suites).toEqual([]);
    expect(resolveClientOptions({ psk: clientPsk() }).tls13Suites.map((s) => s.name)).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
  });

  it('an option our DTLS 1.3 lacks keeps the default at DTLSv1.2; with maxVersion DTLSv1.3 it is a TypeError', () => {
    const lacking: [string, Partial<Parameters<typeof resolveClientOptions>[0]>][] = [
      ['srtpProfiles', { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }],
      ['recordSizeLimit', { recordSizeLimit: 512 }],
      ['maxFragmentLength', { maxFragmentLength: 1024 }],
      ['connectionId.returnRoutabilityCheck', { connectionId: { length: 4, returnRoutabilityCheck: true } }],
    ];
    for (const [name, extra] of lacking) {
      expect(resolveClientOptions({ psk: clientPsk(), ...extra }).maxVersion, name).toBe('DTLSv1.2');
      expect(() => resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.3', ...extra }), name).toThrow(new TypeError(`${name} needs DTLS 1.2 (dtls-kit's DTLS 1.3 does not carry it yet): leave maxVersion unset or set it to 'DTLSv1.2'`));
    }
    expect(resolveServerOptions({ psk: serverPsk(), x509: serverRpkX509() }).maxVersion).toBe('DTLSv1.2');
    expect(() => resolveServerOptions({ psk: serverPsk(), maxVersion: 'DTLSv1.3', x509: serverRpkX509() })).toThrow(/raw public keys \(x509 rawPublicKey\) needs DTLS 1\.2/);
    // SNICallback runs in both versions (sni-alpn-callbacks.test.ts)
    expect(resolveServerOptions({ psk: serverPsk(), SNICallback: (_name, cb) => cb(null) }).maxVersion).toBe('DTLSv1.3');
    // connection IDs without the return routability check run in 1.3 too
    expect(resolveClientOptions({ psk: clientPsk(), connectionId: { length: 4 } }).maxVersion).toBe('DTLSv1.3');
    expect(() => resolveVersionRange('DTLSv1.3', undefined, 'srtpProfiles')).toThrow(/srtpProfiles needs DTLS 1\.2/);
  });

  it('two sides with the default options handshake in DTLS 1.3', async () => {
    const pair = await new Pair({ client: { maxVersion: undefined }, server: { maxVersion: undefined } }).handshake();
    expect(pair.client.protocol).toBe('DTLSv1.3');
    expect(pair.server?.protocol).toBe('DTLSv1.3');
  });

  it('maxVersion DTLSv1.2 sends the DTLS 1.2 ClientHello as before: no supported_versions', async () => {
    const pair = await new Pair().handshake();
    const [hello] = clientHellos(pair);
    expect(hello?.extensions.some((e) => e.type === ExtensionType.supported_versions)).toBe(false);
    expect(hello?.cipherSuites.some((id) => id >= 0x1301 && id <= 0x1305)).toBe(false);
  });

  it('maxVersion DTLSv1.3 offers 1.3 and 1.2 in one ClientHello (RFC 9147 5.3) and goes on in 1.2 with a 1.2 server', async () => {
    const pair = await new Pair({ client: { maxVersion: 'DTLSv1.3' } }).handshake();
    expect(pair.client.protocol).toBe('DTLSv1.2');
    const hellos = clientHellos(pair);
    // The endpoint's HelloVerifyRequest: the same offer again, with the cookie.
    expect(hellos.length).toBe(2);
    for (const hello of hellos) {
      expect(hello.clientVersion).toBe(0xfefd);
      expect(hello.compressionMethods).toEqual([0]);
      const versions = findExtension(hello.extensions, ExtensionType.supported_versions);
      expect(decodeSupportedVersionsClientHello(versions?.data ?? new Uint8Array(0))).toEqual([0xfefc, 0xfefd]);
      const groups = decodeSupportedGroups(findExtension(hello.extensions, ExtensionType.supported_groups)?.data ?? new Uint8Array(0));
      const shares = decodeKeyShareClientHello(findExtension(hello.extensions, ExtensionType.key_share)?.data ?? new Uint8Array(0));
      // One share, of our first group (x25519: 32 bytes).
      expect(shares.map((s) => [s.group, s.keyExchange.length])).toEqual([[groups[0], 32]]);
      expect(hello.cipherSuites.slice(0, 3)).toEqual([0x1301, 0x1302, 0x1303]);
      expect(hello.cipherSuites.length).toBeGreaterThan(3);
      // The 1.2 offer is intact.
      expect(findExtension(hello.extensions, ExtensionType.extended_master_secret)).toBeDefined();
    }
    expect(hellos[0]?.cookie.length).toBe(0);
    expect(hellos[1]?.cookie.length).toBeGreaterThan(0);
    // The same key share both times (the offer is kept across the HelloVerifyRequest).
    expect(findExtension(hellos[1]?.extensions ?? [], ExtensionType.key_share)).toEqual(findExtension(hellos[0]?.extensions ?? [], ExtensionType.key_share));
  });

  it('a client that offered 1.3 refuses a 1.2 ServerHello whose random ends in DOWNGRD\\x01 or DOWNGRD\\x00 (RFC 8446 4.1.3)', async () => {
    for (const sentinel of [DOWNGRADE_TO_1_2, DOWNGRADE_BELOW_1_2]) {
      const pair = new Pair({ client: { maxVersion: 'DTLSv1.3' }, tap: sentinelTap(sentinel) }).start();
      await pair.run(5_000);
      expectLocalFailure(pair.client, pair.clientEvents, AlertDescription.illegal_parameter);
      expect(pair.client.error?.message).toContain('downgrade');
    }
  });

  it('a 1.2-only client does not take DOWNGRD\\x01 for a downgrade (it offered nothing newer)', async () => {
    const pair = new Pair({ tap: sentinelTap(DOWNGRADE_TO_1_2) }).start();
    await pair.run(5_000);
    // The rewritten random breaks the keys, so the handshake still fails, but later and not as a downgrade.
    expect(pair.client.state).toBe('closed');
    expect(pair.client.error).toBeInstanceOf(DtlsError);
    expect(pair.client.error?.message).not.toContain('downgrade');
  });

  it('minVersion DTLSv1.3 offers only 1.3; a 1.2 server finds nothing in common', async () => {
    const pair = new Pair({ client: { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } }).start();
    await pair.run(5_000);
    expect(pair.client.state).toBe('closed');
    const [hello] = clientHellos(pair);
    // Only 1.3 offered: no 1.2 suite, no 1.2 version, no 1.2-only extension.
    expect(decodeSupportedVersionsClientHello(findExtension(hello?.extensions ?? [], ExtensionType.supported_versions)?.data ?? new Uint8Array(0))).toEqual([0xfefc]);
    expect(hello?.cipherSuites.every((id) => id >= 0x1301 && id <= 0x1305)).toBe(true);
    expect(findExtension(hello?.extensions ?? [], ExtensionType.extended_master_secret)).toBeUndefined();
  });

  it('serverVersionChoice: 1.2 under minVersion DTLSv1.3 is protocol_version; supported_versions must select 1.3 and only when offered', () => {
    const random = new Uint8Array(32).fill(7);
    const sh12 = { serverVersion: 0xfefd, random, sessionId: new Uint8Array(0), cipherSuite: 0xc0a8, compressionMethod: 0, extensions: [] };
    const offer = { hello: { clientVersion: 0xfefd, random, sessionId: new Uint8Array(0), cookie: new Uint8Array(0), cipherSuites: [0x1301], compressionMethods: [0], extensions: [] }, keyShares: [], versions: [0xfefc, 0xfefd], psk: undefined };
    const alertOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof DtlsError) return e.alertName;
        throw e;
      }
      return undefined;
    };
    expect(serverVersionChoice(sh12, offer, 'DTLSv1.2')).toBe('DTLSv1.2');
    expect(serverVersionChoice(sh12, undefined, 'DTLSv1.2')).toBe('DTLSv1.2');
    expect(alertOf(() => serverVersionChoice(sh12, offer, 'DTLSv1.3'))).toBe('protocol_version');
    const selecting = (version: number) => ({ ...sh12, extensions: [{ type: ExtensionType.supported_versions, data: Uint8Array.of(version >>> 8, version & 0xff) }] });
    expect(serverVersionChoice(selecting(0xfefc), offer, 'DTLSv1.2')).toBe('DTLSv1.3');
    expect(alertOf(() => serverVersionChoice(selecting(0xfefd), offer, 'DTLSv1.2'))).toBe('illegal_parameter');
    expect(alertOf(() => serverVersionChoice(selecting(0xfefc), undefined, 'DTLSv1.2'))).toBe('unsupported_extension');
  });
});
