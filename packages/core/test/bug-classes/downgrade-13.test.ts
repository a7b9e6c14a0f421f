/**
 * Bug class: version downgrade (RFC 8446 4.1.3, RFC 9147 5.3). An on-path attacker who removes
 * DTLS 1.3 from the client's supported_versions gets our dual-version server to answer DTLS 1.2,
 * but the server's random then ends in DOWNGRD\x01 and our client, which offered 1.3, refuses it
 * (illegal_parameter) before anything is keyed; a client that offered 1.3 only refuses any 1.2
 * answer (protocol_version). Both ends are ours; the attacker edits the plaintext ClientHellos.
 * The client's check against a rewritten random alone: ../engine/version-negotiation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeSupportedVersionsClientHello, encodeSupportedVersionsClientHello } from '../../src/handshake/extensions/supported-versions.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { DOWNGRADE_TO_1_2 } from '../../src/handshake/messages/downgrade-sentinel.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { splitRecords } from '../../src/record/datagram.js';
import { editHandshake, expectLocalFailure, Pair, type Tap } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';

/** Removes DTLS 1.3 (0xfefc) from every ClientHello's supported_versions (or the extension, when nothing is left). */
const strip13: Tap = (d, dir) => {
  if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_hello)) return [d];
  return [
    editHandshake(d, (f) => {
      const hello = decodeClientHello(f.body);
      const ext = findExtension(hello.extensions, ExtensionType.supported_versions);
      if (ext === undefined) return [f];
      const left = decodeSupportedVersionsClientHello(ext.data).filter((v) => v !== 0xfefc);
      const extensions =
        left.length === 0
          ? hello.extensions.filter((e) => e.type !== ExtensionType.supported_versions)
          : hello.extensions.map((e) => (e.type === ExtensionType.supported_versions ? { type: e.type, data: encodeSupportedVersionsClientHello(left) } : e));
      const body = encodeClientHello({ ...hello, extensions });
      return [{ ...f, body, length: body.length, fragmentOffset: 0 }];
    }),
  ];
};

function serverRandoms(p: Pair): Uint8Array[] {
  return p.wire
    .filter((w) => w.direction === 's2c')
    .flatMap((w) => splitRecords(w.datagram))
    .filter((r) => r.header.epoch === 0 && r.header.type === 22)
    .flatMap((r) => decodeHandshakeFragments(r.fragment))
    .filter((f) => f.msgType === HandshakeType.server_hello)
    .map((f) => decodeServerHello(f.body).random);
}

describe('DTLS 1.3 removed from the ClientHello on path', () => {
  it('a dual-version client and server: the server answers 1.2 with DOWNGRD\\x01, the client refuses (illegal_parameter), nothing completes', async () => {
    const p = new Pair({ client: { maxVersion: 'DTLSv1.3' }, server: { maxVersion: 'DTLSv1.3' }, tap: strip13 }).start();
    await p.run(10_000);
    const [random] = serverRandoms(p);
    expect(Array.from(random?.subarray(24) ?? [])).toEqual(Array.from(DOWNGRADE_TO_1_2));
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toContain('downgrade');
    expect(p.clientEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expect(p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
  });

  it('a client that offers DTLS 1.3 only: its ClientHello, stripped, has nothing a 1.2 server can take (handshake_failure from the server, or protocol_version of ours)', async () => {
    const p = new Pair({ client: { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' }, server: { maxVersion: 'DTLSv1.3' }, tap: strip13 }).start();
    await p.run(10_000);
    expect(p.client.state).toBe('closed');
    expect(['protocol_version', 'handshake_failure']).toContain(p.client.error?.alertName);
    expect(p.clientEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
  });

  it('without the attacker the same two sides speak DTLS 1.3 (the sentinel is the only difference)', async () => {
    const p = await new Pair({ client: { maxVersion: 'DTLSv1.3' }, server: { maxVersion: 'DTLSv1.3' } }).handshake();
    expect(p.client.protocol).toBe('DTLSv1.3');
    for (const random of serverRandoms(p)) expect(Array.from(random.subarray(24))).not.toEqual(Array.from(DOWNGRADE_TO_1_2));
  });
});
