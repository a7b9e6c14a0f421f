/**
 * RecordLayer.enterDtls13: the connection's record layer hands every record to a DTLS 1.3 layer
 * once the version is known (RFC 9147 4), epoch 0's write sequence numbers going on from the
 * records already sent (the ClientHello's), and refuses DTLS 1.2 keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { DtlsError } from '../../src/errors.js';
import { dtls13EpochKeys } from '../../src/record/dtls13-epoch-keys.js';
import type { Dtls13TrafficKeys } from '../../src/record/dtls13-epoch-keys.js';
import { decodeRecordHeader } from '../../src/record/record-header.js';
import { RecordLayer } from '../../src/record/record-layer.js';

const traffic = (): Dtls13TrafficKeys => ({ key: new Uint8Array(randomBytes(16)), iv: new Uint8Array(randomBytes(12)), snKey: new Uint8Array(randomBytes(16)) });
const keys = (t: Dtls13TrafficKeys): ReturnType<typeof dtls13EpochKeys> => dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t);

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DtlsError) return e.alert;
    throw e;
  }
  return undefined;
}

describe('RecordLayer.enterDtls13 (RFC 9147 4)', () => {
  it('epoch 0 counts on from the records sent before the switch; later epochs are unified-header records', () => {
    const client = new RecordLayer();
    const server = new RecordLayer();
    // The first ClientHello and its answer go out before the version is known.
    client.seal(22, utf8('client hello 1'));
    client.seal(22, utf8('client hello 2'));
    server.open(client.seal(22, utf8('client hello 3')));
    const tx = client.enterDtls13();
    const rx = server.enterDtls13();
    const plain = client.seal(22, utf8('client hello 4'));
    expect(decodeRecordHeader(plain, 0)).toMatchObject({ type: 22, epoch: 0, sequenceNumber: 3, version: 0xfefd });
    expect(server.open(plain)).toEqual([{ type: 22, epoch: 0, sequenceNumber: 3, payload: utf8('client hello 4'), authenticated: false }]);

    const t2 = traffic();
    const t3 = traffic();
    tx.setWriteKeys(2, keys(t2));
    // Records of epoch 2 before the reader has its keys are held, then given back by setReadKeys.
    const early = client.seal(22, utf8('finished'));
    expect(early[0]! & 0xe0).toBe(0x20);
    expect(server.open(early)).toEqual([]);
    expect(server.heldCount).toBe(1);
    expect(rx.setReadKeys(2, keys(t2)).map((r) => r.content)).toEqual([utf8('finished')]);
    tx.setWriteKeys(3, keys(t3));
    rx.setReadKeys(3, keys(t3));
    expect(client.writeEpoch).toBe(3);
    expect(server.readEpoch).toBe(3);
    const data = client.seal(23, utf8('application data'));
    expect(data.length - utf8('application data').length).toBe(client.overhead());
    expect(server.open(data)).toEqual([{ type: 23, epoch: 3, sequenceNumber: 0, payload: utf8('application data'), authenticated: true }]);
    // Retransmission in an older epoch that is still held.
    expect(server.open(client.seal(22, utf8('finished again'), 2))).toMatchObject([{ type: 22, epoch: 2, sequenceNumber: 1 }]);
    // ACKs (content type 26) are passed up like any other content.
    expect(server.open(client.seal(26, Uint8Array.of(0, 0)))).toMatchObject([{ type: 26, epoch: 3, authenticated: true }]);
    // A replay and a forgery are dropped and counted in the connection's stats.
    expect(server.open(data)).toEqual([]);
    const forged = data.slice();
    forged[forged.length - 1]! ^= 1;
    expect(server.open(forged)).toEqual([]);
    expect(server.stats).toMatchObject({ replayed: 1, badMac: 1, held: 1 });
    expect(client.stats.sealed).toBe(8);
  });

  it('refuses DTLS 1.2 keys, a second switch, and a switch after a 1.2 epoch was keyed', () => {
    const records = new RecordLayer();
    records.enterDtls13();
    const v12 = { aead: nodeCryptoProvider.aead('aes-128-gcm', new Uint8Array(16)), fixedIv: new Uint8Array(4), recordIvLength: 8 };
    expect(alertOf(() => records.setWriteKeys(v12))).toBe(AlertDescription.internal_error);
    expect(alertOf(() => records.setReadKeys(v12))).toBe(AlertDescription.internal_error);
    expect(alertOf(() => records.enterDtls13())).toBe(AlertDescription.internal_error);
    const keyed = new RecordLayer();
    keyed.setWriteKeys(v12);
    expect(alertOf(() => keyed.enterDtls13())).toBe(AlertDescription.internal_error);
  });

  it('respects the peer record size limit in DTLS 1.3 mode too (RFC 8449 4)', () => {
    const records = new RecordLayer();
    records.enterDtls13().setWriteKeys(2, keys(traffic()));
    records.sendPlaintextLimit = 100;
    expect(alertOf(() => records.seal(23, new Uint8Array(101)))).toBe(AlertDescription.internal_error);
    expect(records.seal(23, new Uint8Array(100)).length).toBeGreaterThan(100);
  });
});
