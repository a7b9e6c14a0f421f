/**
 * `--srtp LIST` / `--srtp-mki HEX` (DTLS-SRTP, RFC 5764): both commands against OpenSSL 3.0 print
 * the profile and the keying material as `openssl -use_srtp ... -keymatexport EXTRACTOR-dtls_srtp`
 * does, and the material is the one OpenSSL exports; the blocking server the same.
 *
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -psk 000102030405060708090a0b0c0d0e0f \
 *     -psk_identity Client_identity -cipher PSK-AES128-GCM-SHA256 -no-CAfile -no-CApath -no-CAstore \
 *     -use_srtp SRTP_AEAD_AES_128_GCM -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 56 -no_ign_eof
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -nocert -cipher PSK-AES128-GCM-SHA256 \
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity \
 *     -use_srtp SRTP_AES128_CM_SHA1_32 -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60   (no -quiet: it prints the material; stdin stays open)
 */
import { runOpensslClient, startOpensslServer, until, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

let peer: PeerServer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

const keyingMaterial = (out: string): string | undefined => /Keying material: ([0-9A-F]+)/.exec(out)?.[1];

describe('dtls-kit --srtp against OpenSSL', () => {
  it.each(['nonblocking', 'blocking'])('server --runtime %s --srtp: openssl s_client exports the material the server prints', async (runtime) => {
    const server = await startCliServer(['--psk', PSK, '--runtime', runtime, '--srtp', 'SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM', '--once']);
    const result = await runOpensslClient({
      port: server.port,
      cipher: 'PSK-AES128-GCM-SHA256',
      psk: PSK,
      identity: 'Client_identity',
      messages: ['hi'],
      extraArgs: ['-use_srtp', 'SRTP_AEAD_AES_128_GCM', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '56'],
    });
    expect(await server.exited).toBe(0);
    const out = result.stdout + result.stderr;
    expect(result.echoed, out).toBe(true);
    const theirs = keyingMaterial(out);
    expect(theirs?.length).toBe(112);
    expect(server.stderr()).toContain(
      ['SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM', 'Keying material exporter:', "    Label: 'EXTRACTOR-dtls_srtp'", '    Length: 56 bytes', `    Keying material: ${theirs ?? 'missing'}`].join('\n'),
    );
  });

  it('client --srtp --srtp-mki: s_server chooses, exports the same material, and answers without an MKI', async () => {
    peer = await startOpensslServer({
      cipher: 'PSK-AES128-GCM-SHA256',
      psk: PSK,
      identity: 'Client_identity',
      echo: false,
      extraArgs: ['-use_srtp', 'SRTP_AES128_CM_SHA1_32', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'],
    });
    const p = peer;
    const client = runCli(['client', '--host', '127.0.0.1', '--port', String(p.port), '--psk', PSK, '--srtp', 'SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_32', '--srtp-mki', '0a0b', '--message', 'hi', '--timeout', '1']);
    await until(() => keyingMaterial(p.stdout()) !== undefined, 8000, 's_server to print the keying material');
    const r = await client;
    expect(r.stderr).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_32\n');
    expect(r.stderr).not.toContain('SRTP MKI');
    expect(keyingMaterial(r.stderr)).toBe(keyingMaterial(p.stdout()));
  });
});

describe('dtls-kit --srtp between our own client and server', () => {
  it('the MKI offered with --srtp-mki is echoed; no common profile is said so', async () => {
    const server = await startCliServer(['--psk', PSK, '--srtp', 'SRTP_AES128_CM_SHA1_80', '--once']);
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--srtp', 'SRTP_AES128_CM_HMAC_SHA1_80', '--srtp-mki', 'C0FFEE', '--message', 'hi']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('SRTP MKI: C0FFEE\n');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('SRTP MKI: C0FFEE\n');
    expect(keyingMaterial(server.stderr())).toBe(keyingMaterial(r.stderr));

    const other = await startCliServer(['--psk', PSK, '--srtp', 'SRTP_AEAD_AES_256_GCM', '--once']);
    const none = await runCli(['client', '--host', '127.0.0.1', '--port', String(other.port), '--psk', PSK, '--srtp', 'SRTP_AES128_CM_SHA1_80', '--message', 'hi']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('SRTP: no profile in common with the peer; none negotiated');
    await other.exited;
  });

  it.each([
    [['client', '--host', '127.0.0.1', '--psk', PSK, '--srtp', 'SRTP_AES256_CM_SHA1_80'], /--srtp: unknown SRTP profile "SRTP_AES256_CM_SHA1_80"/],
    [['client', '--host', '127.0.0.1', '--psk', PSK, '--srtp-mki', '01'], /--srtp-mki needs --srtp/],
    [['client', '--host', '127.0.0.1', '--psk', PSK, '--srtp', 'SRTP_AES128_CM_SHA1_80', '--srtp-mki', 'xyz'], /--srtp-mki must be 1..255 bytes in hex/],
    [['server', '--psk', PSK, '--srtp', 'SRTP_AES128_CM_SHA1_80', '--srtp-mki', '01'], /--srtp-mki is not an option of "server"/],
  ])('usage error: %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
