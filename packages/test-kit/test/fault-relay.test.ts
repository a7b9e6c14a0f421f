import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_TYPE, HANDSHAKE_TYPE, describeRecord, parseRecords, recordBytes, startFaultRelay, type FaultRelay, type FaultRelayOptions, until } from '../src/index.js';

/** A DTLS 1.2 record: header (RFC 6347 4.1) and body. */
function record(contentType: number, epoch: number, sequence: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header[0] = contentType;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUIntBE(sequence, 5, 6);
  header.writeUInt16BE(body.length, 11);
  return Buffer.concat([header, body]);
}

/** An epoch-0 handshake record holding one whole message (RFC 6347 4.2.2 header). */
function handshake(type: number, messageSeq: number, bodyLength = 20): Buffer {
  const h = Buffer.alloc(12 + bodyLength, 0x5a);
  h[0] = type;
  h.writeUIntBE(bodyLength, 1, 3);
  h.writeUInt16BE(messageSeq, 4);
  h.writeUIntBE(0, 6, 3);
  h.writeUIntBE(bodyLength, 9, 3);
  return record(CONTENT_TYPE.handshake, 0, messageSeq, h);
}

const app = (sequence: number, text: string): Buffer => record(CONTENT_TYPE.applicationData, 1, sequence, Buffer.from(text));

interface Harness {
  relay: FaultRelay;
  client: dgram.Socket;
  atServer: Buffer[];
  atClient: Buffer[];
  /** Sends from the server to the client (through the relay, towards the client's upstream). */
  reply: (datagram: Buffer) => void;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

async function harness(options: Omit<FaultRelayOptions, 'target'>): Promise<Harness> {
  const server = dgram.createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const atServer: Buffer[] = [];
  let upstream: { port: number; address: string } | undefined;
  server.on('message', (m, rinfo) => {
    atServer.push(m);
    upstream = rinfo;
  });
  const relay = await startFaultRelay({ ...options, target: server.address().port });
  const client = dgram.createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await once(client, 'listening');
  const atClient: Buffer[] = [];
  client.on('message', (m) => atClient.push(m));
  cleanup.push(async () => {
    await relay.close();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => client.close(() => r()));
  });
  return {
    relay,
    client,
    atServer,
    atClient,
    reply: (datagram) => {
      if (upstream === undefined) throw new Error('no client seen yet');
      server.send(datagram, upstream.port, upstream.address);
    },
  };
}

const send = (h: Harness, datagram: Buffer): void => h.client.send(datagram, h.relay.port, '127.0.0.1');

describe('parseRecords', () => {
  it('reads every record of a datagram, and the handshake type of epoch-0 handshake records only', () => {
    const datagram = Buffer.concat([handshake(HANDSHAKE_TYPE.serverHello, 1), record(CONTENT_TYPE.changeCipherSpec, 0, 2, Buffer.from([1])), record(CONTENT_TYPE.handshake, 1, 0, Buffer.alloc(40))]);
    const records = parseRecords(datagram);
    expect(records.map(describeRecord)).toEqual(['hs:serverHello', 'ccs', 'hs(e1)']);
    expect(records.every((r) => r.complete)).toBe(true);
    expect(records[2]?.sequence).toBe(0);
    // A cut record is reported incomplete; a cut header ends the list.
    const cut = parseRecords(datagram.subarray(0, datagram.length - 5));
    expect(cut[2]?.complete).toBe(false);
    expect(parseRecords(datagram.subarray(0, 10))).toEqual([]);
  });

  it('frames DTLS 1.3 unified-header records (RFC 9147 4) after a plaintext one, with and without length, and a CID of known length', () => {
    // 0b00101110: epoch 2, 16-bit sequence 0x0102, length 20; then 0b00100011: epoch 3, 8-bit sequence 7, no length.
    const withLength = Buffer.concat([Buffer.from([0x2e, 0x01, 0x02, 0x00, 20]), Buffer.alloc(20, 0xaa)]);
    const toTheEnd = Buffer.concat([Buffer.from([0x23, 0x07]), Buffer.alloc(30, 0xbb)]);
    const datagram = Buffer.concat([handshake(HANDSHAKE_TYPE.serverHello, 1), withLength, toTheEnd]);
    const records = parseRecords(datagram);
    expect(records.map(describeRecord)).toEqual(['hs:serverHello', 'dtls13(e2)', 'dtls13(e3)']);
    expect(records.slice(1).map((r) => [r.unified, r.headerLength, r.epoch, r.sequence, r.length, r.complete])).toEqual([
      [true, 5, 2, 0x0102, 20, true],
      [true, 2, 3, 7, 30, true],
    ]);
    const second = records[1];
    expect(second === undefined ? undefined : Buffer.from(recordBytes(datagram, second))).toEqual(withLength);
    // The C bit: a CID the header does not size; framed only when its length is given.
    const cid = Buffer.concat([Buffer.from([0x3c, 9, 9, 9, 9, 0x00, 0x05, 0x00, 3]), Buffer.alloc(3)]);
    expect(parseRecords(cid)).toEqual([]);
    expect(parseRecords(cid, 4).map((r) => [r.headerLength, r.sequence, r.length])).toEqual([[9, 5, 3]]);
  });
});

describe('startFaultRelay', () => {
  it('drops the nth occurrence of a handshake message, per client, and passes everything else', async () => {
    const h = await harness({
      seed: 1,
      rules: [{ name: 'second HVR, twice', direction: 'toClient', match: { handshakeType: HANDSHAKE_TYPE.helloVerifyRequest }, action: { kind: 'drop' }, skip: 1, times: 2 }],
    });
    send(h, handshake(HANDSHAKE_TYPE.clientHello, 0));
    await until(() => h.atServer.length === 1, 3000, 'the ClientHello');
    for (let i = 0; i < 5; i++) h.reply(handshake(HANDSHAKE_TYPE.helloVerifyRequest, 0));
    h.reply(handshake(HANDSHAKE_TYPE.serverHello, 1));
    // First HVR passes, second and third dropped, fourth and fifth pass, ServerHello passes.
    await until(() => h.atClient.length === 4, 3000, 'four datagrams');
    expect(h.relay.stats.ruleHits).toEqual([2]);
    expect(h.relay.stats.toClient.dropped).toBe(2);
    expect(h.relay.stats.toClient.forwarded).toBe(4);
    expect(parseRecords(h.atClient[3] ?? Buffer.alloc(0)).map(describeRecord)).toEqual(['hs:serverHello']);
    // Datagrams and bytes as the senders put them on the wire, dropped ones included.
    expect(h.relay.stats.toServer).toMatchObject({ datagrams: 1, bytes: handshake(HANDSHAKE_TYPE.clientHello, 0).length });
    expect(h.relay.stats.toClient).toMatchObject({ datagrams: 6, bytes: 5 * handshake(HANDSHAKE_TYPE.helloVerifyRequest, 0).length + handshake(HANDSHAKE_TYPE.serverHello, 1).length });
  });

  it('holds a ChangeCipherSpec out of its datagram and releases it after the Finished', async () => {
    const h = await harness({
      seed: 2,
      rules: [{ direction: 'toServer', match: { contentType: CONTENT_TYPE.changeCipherSpec }, action: { kind: 'hold', until: { contentType: CONTENT_TYPE.handshake, minEpoch: 1 } } }],
    });
    send(h, Buffer.concat([handshake(HANDSHAKE_TYPE.clientKeyExchange, 2), record(CONTENT_TYPE.changeCipherSpec, 0, 3, Buffer.from([1]))]));
    await until(() => h.atServer.length === 1, 3000, 'the ClientKeyExchange');
    expect(parseRecords(h.atServer[0] ?? Buffer.alloc(0)).map(describeRecord)).toEqual(['hs:clientKeyExchange']);
    send(h, record(CONTENT_TYPE.handshake, 1, 0, Buffer.alloc(40)));
    await until(() => h.atServer.length === 3, 3000, 'the Finished and the held ChangeCipherSpec');
    expect(h.atServer.slice(1).map((d) => parseRecords(d).map(describeRecord))).toEqual([['hs(e1)'], ['ccs']]);
    expect(h.relay.stats.toServer.held).toBe(1);
    expect(await h.relay.settled(100)).toBe(true);
  });

  it('truncates and corrupts on command', async () => {
    const h = await harness({
      seed: 3,
      rules: [
        { match: { handshakeType: HANDSHAKE_TYPE.certificate }, action: { kind: 'truncate', length: 30 } },
        { match: { contentType: CONTENT_TYPE.applicationData }, action: { kind: 'corrupt', offset: 20 } },
      ],
    });
    const certificate = handshake(HANDSHAKE_TYPE.certificate, 1, 200);
    send(h, certificate);
    const data = app(1, 'payload payload');
    send(h, data);
    await until(() => h.atServer.length === 2, 3000, 'both datagrams');
    const [cut, flipped] = h.atServer;
    expect(cut).toEqual(certificate.subarray(0, 30));
    expect(flipped?.length).toBe(data.length);
    expect(flipped?.[20]).not.toBe(data[20]);
    expect(Buffer.compare(flipped?.subarray(0, 20) ?? Buffer.alloc(0), data.subarray(0, 20))).toBe(0);
    expect(h.relay.stats.toServer.truncated).toBe(1);
    expect(h.relay.stats.toServer.appCorrupted).toBe(1);
  });

  it('random loss, duplication, reordering: intact application records delivered = sent - destroyed', async () => {
    const faults = { loss: 0.2, duplicate: 0.1, reorder: 0.2, delayMs: [1, 10] as const, corrupt: 0.05, truncate: 0.05 };
    const h = await harness({ seed: 4, toServer: faults });
    const sent = new Map<string, Buffer>();
    for (let i = 0; i < 400; i++) {
      const payload = `message ${i} ${'x'.repeat(i % 50)}`;
      const datagram = app(i, payload);
      sent.set(payload, datagram);
      send(h, datagram);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    const stats = h.relay.stats.toServer;
    await until(() => stats.datagrams === 400, 3000, 'all datagrams at the relay');
    expect(await h.relay.settled(2000)).toBe(true);
    await until(() => h.atServer.length === stats.forwarded, 3000, 'all forwarded datagrams');
    // What the receiver would accept: whole, unmodified records, each once (the replay window).
    const intact = new Set<string>();
    for (const d of h.atServer) {
      const payload = d.subarray(13).toString();
      const original = sent.get(payload);
      if (original !== undefined && original.equals(d)) intact.add(payload);
    }
    expect(stats.dropped).toBeGreaterThan(40);
    expect(stats.duplicated).toBeGreaterThan(10);
    expect(stats.delayed).toBeGreaterThan(40);
    expect(stats.appRecords).toBe(400);
    expect(stats.truncated).toBeGreaterThan(5);
    expect(stats.corrupted).toBeGreaterThan(5);
    // Each datagram gets one kind of damage, and a duplicate copies its original's: exact.
    expect(intact.size).toBe(400 - stats.appDropped - stats.appCorrupted);
  });
});
