/**
 * An asynchronous pskCallback with the default versions (DTLS 1.3 preferred, 1.2 offered) against
 * wolfSSL 5.5.4's example server (its hard-coded PSKs, identity Client_identity), from its source root:
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i   (DTLS 1.3)
 *   ./examples/server/server -u -v 3 -l PSK-AES128-GCM-SHA256 -s -p PORT -d -e -i     (DTLS 1.2 only)
 * In 1.3 the callback is asked once, without a hint (RFC 8446 has none), before the ClientHello
 * (its binder needs the key: RFC 8446 4.2.11.2), and the ClientHello waits for the answer; a
 * 1.2-only server's answer asks it again with that server's hint (RFC 4279 2), for 1.2's key.
 */
import { pskClient } from '@dtls-kit/psk';
import { WOLFSSL_PSK_12, WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, describePeerServer, startWolfsslServer, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { roundTrip } from './helpers.js';

let peer: PeerServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

/** A callback that answers after a timer, as a key store would; it records the hints it was given. */
function slowCallback(key: string, hints: (string | null)[]): ReturnType<typeof pskClient> {
  return pskClient({
    pskCallback: async (hint) => {
      hints.push(hint);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { identity: WOLFSSL_PSK_IDENTITY, psk: key };
    },
  });
}

describe('an asynchronous pskCallback, default versions, against wolfSSL 5.5.4', () => {
  it('a DTLS 1.3 server: the callback is asked once without a hint, the handshake is 1.3', async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    const hints: (string | null)[] = [];
    const client = await connect({ host: '127.0.0.1', port: peer.port, psk: slowCallback(WOLFSSL_PSK_13, hints) });
    const why = describePeerServer(peer);
    expect(client.getProtocol(), why).toBe('DTLSv1.3');
    expect(hints).toEqual([null]);
    expect(await roundTrip(client, 'hello after an async PSK'), why).toBe('hello after an async PSK');
    await client.close();
  });

  it('a DTLS 1.2-only server: asked again with its hint, the handshake is 1.2', async () => {
    peer = await startWolfsslServer({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256' });
    const hints: (string | null)[] = [];
    // In 1.2 wolfSSL's key is another one (WOLFSSL_PSK_12): the second answer must be 1.2's.
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      psk: pskClient({
        pskCallback: async (hint) => {
          hints.push(hint);
          await new Promise((resolve) => setTimeout(resolve, 30));
          return { identity: WOLFSSL_PSK_IDENTITY, psk: hints.length === 1 ? WOLFSSL_PSK_13 : WOLFSSL_PSK_12 };
        },
      }),
    });
    const why = describePeerServer(peer);
    expect(client.getProtocol(), why).toBe('DTLSv1.2');
    expect(hints.length, why).toBe(2);
    expect(hints[0]).toBeNull();
    expect(await roundTrip(client, 'hello over 1.2'), why).toBe('hello over 1.2');
    await client.close();
  });
});
