/**
 * The client makes its ECDHE key pair in spare time, while the server works on its flight 4
 * (after the ClientHello with the cookie), not on the round trip; and a handshake cancelled
 * before that spare time comes leaves nothing behind: no pending immediate, no key pair.
 *
 * The server here answers the first ClientHello with a HelloVerifyRequest (core's
 * ServerEndpoint) and then says nothing more, so the client is left waiting for flight 4.
 */
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { ServerEndpoint, nodeCryptoProvider, peerKey, type CryptoProvider, type KeyShare, type NamedGroupName } from '@dtls-kit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { clientPsk, serverPsk, until } from './helpers.js';

const SUITE = 'ECDHE-PSK-AES128-GCM-SHA256';
// DTLS 1.2's flights (HelloVerifyRequest, then the pair for the ClientKeyExchange): a 1.3 client
// makes its key share before its first ClientHello (RFC 8446 4.2.8), with nothing to make ahead.
const VERSION = { maxVersion: 'DTLSv1.2' } as const;

interface CookieOnlyServer {
  readonly port: number;
  /** ClientHellos received (the first and the one with the cookie). */
  received(): number;
  close(): Promise<void>;
}

let server: CookieOnlyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function cookieOnlyServer(): Promise<CookieOnlyServer> {
  const udp = dgram.createSocket('udp4');
  const endpoint = new ServerEndpoint({ psk: serverPsk(), cipherSuites: SUITE });
  let received = 0;
  udp.on('message', (msg, rinfo) => {
    received++;
    const result = endpoint.verify(new Uint8Array(msg), peerKey(rinfo), performance.now());
    if (result.type === 'reply') udp.send(result.datagram, rinfo.port, rinfo.address);
  });
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  return { port: udp.address().port, received: () => received, close: () => new Promise<void>((resolve) => udp.close(() => resolve())) };
}

/** node:crypto, counting the key pairs it makes. */
function countingProvider(): { provider: CryptoProvider; made: () => number } {
  let made = 0;
  const provider: CryptoProvider = {
    ...nodeCryptoProvider,
    generateKeyShare(group: NamedGroupName): KeyShare {
      made++;
      return nodeCryptoProvider.generateKeyShare(group);
    },
  };
  return { provider, made: () => made };
}

const immediates = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ECDHE key pair made ahead (non-blocking client)', () => {
  it('is made while the client waits for flight 4, before any answer to its second ClientHello', async () => {
    const s = (server = await cookieOnlyServer());
    const { provider, made } = countingProvider();
    const controller = new AbortController();
    const pending = connect({ host: '127.0.0.1', port: s.port, psk: clientPsk(), cipherSuites: SUITE, provider, signal: controller.signal, ...VERSION });
    const rejected = expect(pending).rejects.toThrow();
    await until(() => s.received() >= 2);
    await nextTurn();
    // Nobody sent flight 4: the pair was made in the spare time after the ClientHello with the cookie left.
    expect(made()).toBe(1);
    controller.abort();
    await rejected;
  });

  it('a handshake cancelled in the turn its second ClientHello left leaves no pending immediate and makes no pair', async () => {
    const s = (server = await cookieOnlyServer());
    const { provider, made } = countingProvider();
    const controller = new AbortController();
    const before = immediates();
    let scheduled = -1;
    let sent = 0;
    // Right after the ClientHello with the cookie is sent (its spare-time work scheduled), in the same turn.
    const onDatagram = (message: unknown): void => {
      if (typeof message !== 'object' || message === null || !('direction' in message) || message.direction !== 'out') return;
      if (++sent !== 2) return;
      queueMicrotask(() => {
        scheduled = immediates();
        controller.abort();
      });
    };
    diagnosticsChannel.subscribe('dtls-kit:datagram', onDatagram);
    try {
      const pending = connect({ host: '127.0.0.1', port: s.port, psk: clientPsk(), cipherSuites: SUITE, provider, signal: controller.signal, ...VERSION });
      await expect(pending).rejects.toThrow();
    } finally {
      diagnosticsChannel.unsubscribe('dtls-kit:datagram', onDatagram);
    }
    // The work was scheduled (one immediate more), then cancelled with the handshake.
    expect(scheduled).toBe(before + 1);
    expect(immediates()).toBe(before);
    await nextTurn();
    await nextTurn();
    expect(made()).toBe(0);
  });
});
