/**
 * The client makes its ECDHE key pair in spare time, while it waits for the server (not on the
 * round trip), and a handshake cancelled before that spare time comes leaves nothing behind:
 * no pending immediate, no key pair.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { nodeCryptoProvider, type CryptoProvider, type KeyShare, type NamedGroupName } from '@dtls-kit/core';
import { silentUdpPort, type SilentUdpPort } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { clientPsk, until } from './helpers.js';

const SUITE = 'ECDHE-PSK-AES128-GCM-SHA256';
let silent: SilentUdpPort | undefined;

afterEach(async () => {
  await silent?.close();
  silent = undefined;
});

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
  it('is made while the client waits for the server, before any answer', async () => {
    silent = await silentUdpPort();
    const { provider, made } = countingProvider();
    const controller = new AbortController();
    const pending = connect({ host: '127.0.0.1', port: silent.port, psk: clientPsk(), cipherSuites: SUITE, provider, signal: controller.signal });
    const rejected = expect(pending).rejects.toThrow();
    const port = silent;
    await until(() => port.received() >= 1);
    await nextTurn();
    // Nobody answered: the pair was made in the spare time after the ClientHello left.
    expect(made()).toBe(1);
    controller.abort();
    await rejected;
  });

  it('a handshake cancelled in the turn it started leaves no pending immediate and makes no pair', async () => {
    silent = await silentUdpPort();
    const { provider, made } = countingProvider();
    const controller = new AbortController();
    const before = immediates();
    let scheduled = -1;
    // Right after the socket starts (its ClientHello sent, its spare-time work scheduled), in the same turn.
    const onStart = (): void =>
      queueMicrotask(() => {
        scheduled = immediates();
        controller.abort();
      });
    diagnosticsChannel.subscribe('dtls-kit:handshake-start', onStart);
    try {
      const pending = connect({ host: '127.0.0.1', port: silent.port, psk: clientPsk(), cipherSuites: SUITE, provider, signal: controller.signal });
      await expect(pending).rejects.toThrow();
    } finally {
      diagnosticsChannel.unsubscribe('dtls-kit:handshake-start', onStart);
    }
    // The work was scheduled (one immediate more), then cancelled with the handshake.
    expect(scheduled).toBe(before + 1);
    expect(immediates()).toBe(before);
    await nextTurn();
    await nextTurn();
    expect(made()).toBe(0);
  });
});
