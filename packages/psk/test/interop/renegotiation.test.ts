/**
 * Renegotiation is refused (DESIGN: renegotiation_info signalled, renegotiation itself
 * refused): RFC 5246 7.4.1.1/7.4.1.2 and RFC 5746 4.2/4.4 let either side decline with a
 * no_renegotiation warning alert. OpenSSL 3.0 treats that warning as the end of the
 * connection (SSL_R_NO_RENEGOTIATION, then a fatal handshake_failure), so what is checked
 * is that the peer gets our answer instead of retransmitting into silence until it times
 * out, and that nothing breaks on our side.
 *
 * (gnutls-cli --rehandshake is not used: on a warning alert it starts the rehandshake
 * again, forever.)
 */
import { describe, it } from 'vitest';
import { freeUdpPort, runOpensslClient, spawnPeer, waitForUdpBind } from '@dtls-kit/test-kit';
import { IDENTITY, PSK, runOurClient, startOurServer } from './our-side.js';

const SUITE = 'PSK-AES128-CCM8';

describe.concurrent('renegotiation is refused with no_renegotiation', () => {
  it('openssl s_client renegotiating (R) with our server', async ({ expect }) => {
    const ours = await startOurServer({ suite: SUITE });
    try {
      // Without -quiet, an "R" line makes s_client send a new ClientHello under the current keys.
      const client = await runOpensslClient({
        port: ours.port,
        cipher: SUITE,
        psk: PSK,
        identity: IDENTITY,
        messages: ['before', 'R'],
        expectEcho: false,
        lingerMs: 700,
        timeoutMs: 6000,
      });
      const why = `${JSON.stringify(ours.sessions)}\n${client.stdout}\n${client.stderr}`;
      expect(client.timedOut, why).toBe(false);
      expect(client.stderr, why).toContain('RENEGOTIATING');
      expect(client.stderr, why).toMatch(/no renegotiation/);
      expect(ours.server.errors, why).toEqual([]);
      expect(ours.sessions, why).toMatchObject([{ handshake: true, data: 'before\n', close: expect.stringMatching(/handshake_failure/) }]);
    } finally {
      await ours.stop();
    }
  });

  it('openssl s_server asking our client to renegotiate (HelloRequest)', async ({ expect }) => {
    const port = await freeUdpPort();
    // Without -quiet, an "R" line on stdin makes s_server send a HelloRequest.
    const server = spawnPeer('openssl', [
      's_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-listen', '-no_ticket', '-nocert',
      '-cipher', SUITE, '-psk', PSK, '-psk_identity', IDENTITY,
    ], { maxLifetimeMs: 20_000 });
    try {
      expect(await waitForUdpBind(port, { alive: () => server.running() }), server.output()).toBe(true);
      const result = await runOurClient({
        port,
        suite: SUITE,
        messages: [],
        onEstablished: () => server.write('R\n'),
        waitForPeerClose: true,
        timeoutMs: 5000,
      });
      const why = `${result.events}\n${server.output()}`;
      expect(result.events, why).toMatch(/^handshake-complete, close\(.*handshake_failure/);
      expect(server.output(), why).toMatch(/no renegotiation/);
    } finally {
      await server.stop();
    }
  });
});
