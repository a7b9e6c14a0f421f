/**
 * DTLS-SRTP (RFC 5764) in the blocking runtime (the engine runs in a worker), against OpenSSL 3.0:
 * the options reach the worker and the keying material OpenSSL exports is the one our handler sees.
 *
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -cipher PSK-AES128-CCM8 -psk 000102030405060708090a0b0c0d0e0f \
 *     -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore -use_srtp SRTP_AEAD_AES_256_GCM \
 *     -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 88 -no_ign_eof
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -cipher PSK-AES128-CCM8 -psk 000102030405060708090a0b0c0d0e0f \
 *     -psk_identity Client_identity -nocert -use_srtp SRTP_AES128_CM_SHA1_32 -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60
 */
import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, KEY, clientCredentials, fixture, serverCredentials, until } from './helpers.js';

const CIPHER = 'PSK-AES128-CCM8';
const keyingMaterial = (out: string): string | undefined => /Keying material: ([0-9A-F]+)/.exec(out)?.[1]?.toLowerCase();

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('DTLS-SRTP in the blocking runtime, with OpenSSL', () => {
  it.each(['worker', 'main'] as const)('our blocking server, openssl s_client -use_srtp SRTP_AEAD_AES_256_GCM: the same keying material (handshakes %s)', async (handshakes) => {
    server = createBlockingServer({ handler: fixture('srtp-handler.mjs'), credentials: serverCredentials, maxThreads: 1, srtpProfiles: ['SRTP_AEAD_AES_256_GCM'], handshakes });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({
      port,
      cipher: CIPHER,
      psk: KEY,
      identity: IDENTITY,
      messages: ['srtp?'],
      extraArgs: ['-use_srtp', 'SRTP_AEAD_AES_256_GCM', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '88'],
    });
    const out = result.stdout + result.stderr;
    expect(result.echoed, out).toBe(true);
    const theirs = keyingMaterial(out);
    expect(theirs?.length).toBe(176);
    expect(out).toContain(`srtp? profile=SRTP_AEAD_AES_256_GCM km=${theirs ?? 'missing'}`);
  });

  it('our blocking client, openssl s_server -use_srtp SRTP_AES128_CM_SHA1_32: the same keying material', async () => {
    peer = await startOpensslServer({
      cipher: CIPHER,
      psk: KEY,
      identity: IDENTITY,
      echo: false,
      extraArgs: ['-use_srtp', 'SRTP_AES128_CM_SHA1_32', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'],
    });
    const r = await runBlockingClient<{ profile?: string; mki?: string; material?: string; clientKey?: string }>({
      handler: fixture('srtp-client.mjs'),
      port: peer.port,
      credentials: clientCredentials,
      srtpProfiles: 'SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32',
    });
    const p = peer;
    await until(() => keyingMaterial(p.stdout()) !== undefined, 5000, 's_server to print the keying material');
    expect(r.profile).toBe('SRTP_AES128_CM_HMAC_SHA1_32');
    expect(r.mki).toBeUndefined();
    expect(r.material, p.output()).toBe(keyingMaterial(p.stdout()));
    expect(r.clientKey).toBe(r.material?.slice(0, 32));
  });
});
