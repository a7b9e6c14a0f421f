/**
 * A DTLS 1.3 client whose PSK callback answers asynchronously (RFC 8446 4.2.11.2): the binder is
 * part of the ClientHello, so nothing goes out until the application answers; then the handshake
 * runs as with a synchronous answer. A callback that fails ends the connection with an alert
 * of ours, never an exception out of connect(). The same client against wolfSSL's server:
 * packages/psk/test/interop (pskCallback) and the nonblocking wolfSSL tests.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { PSK_IDENTITY, PSK_KEY } from '../support/psk.js';
import { Pair, expectLocalFailure } from './harness.js';

const V13 = { minVersion: 'DTLSv1.2', maxVersion: 'DTLSv1.3' } as const;

describe('DTLS 1.3 client with an asynchronous PSK callback', () => {
  it('holds the ClientHello until the callback answers, then completes in 1.3', async () => {
    let answer: (() => void) | undefined;
    const asked: (Uint8Array | undefined)[] = [];
    const p = new Pair({
      client: {
        ...V13,
        psk: {
          type: 'psk',
          resolve: (hint) => {
            asked.push(hint);
            return new Promise((resolve) => (answer = () => resolve({ identity: PSK_IDENTITY, key: PSK_KEY })));
          },
        },
      },
      server: V13,
    });
    p.start();
    // RFC 8446 4.2.11.2: no ClientHello without its binder.
    expect(p.client.datagramsToSend()).toEqual([]);
    expect(p.client.handshakeState).toBe('wait_psk');
    expect(asked).toEqual([undefined]); // TLS 1.3 has no identity hint
    answer?.();
    await new Promise((resolve) => setImmediate(resolve));
    await p.run(10_000);
    expect(p.client.state).toBe('established');
    expect(p.client.protocol).toBe('DTLSv1.3');
    expect(p.server?.pskIdentity).toEqual(PSK_IDENTITY);
  });

  it('a callback that rejects ends the connection with internal_error, not an exception', async () => {
    const p = new Pair({ client: { ...V13, psk: { type: 'psk', resolve: () => Promise.reject(new Error('key store down')) } }, server: V13 });
    p.start();
    await new Promise((resolve) => setImmediate(resolve));
    await p.run(10_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.internal_error);
  });
});
