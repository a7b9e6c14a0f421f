/**
 * DTLS-SRTP (RFC 5764) against OpenSSL 3.0, both roles, each of the four profiles: the profile
 * OpenSSL reports and the keying material it exports with `-keymatexport EXTRACTOR-dtls_srtp`
 * (RFC 5764 4.2) are byte-identical with ours.
 *
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -cipher PSK-AES128-GCM-SHA256 \
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -nocert \
 *     -use_srtp PROFILE -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen N
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -cipher PSK-AES128-GCM-SHA256 \
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore \
 *     -use_srtp PROFILE -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen N -no_ign_eof
 */
import { runOpensslClient, startOpensslServer, until, type PeerServer } from '@dtls-kit/test-kit';
import { createCA, createCertificate, x509Server } from '@dtls-kit/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket, type SrtpKeyingMaterial } from '../src/index.js';
import { IDENTITY, KEY, clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

const CIPHER = 'PSK-AES128-GCM-SHA256';
const LABEL = 'EXTRACTOR-dtls_srtp';

/** OpenSSL's profile names, their IANA ids, and 2 * (key + salt) bytes of keying material (RFC 5764 4.2, RFC 7714 12). */
const PROFILES = [
  { openssl: 'SRTP_AES128_CM_SHA1_80', id: 0x0001, length: 60 },
  { openssl: 'SRTP_AES128_CM_SHA1_32', id: 0x0002, length: 60 },
  { openssl: 'SRTP_AEAD_AES_128_GCM', id: 0x0007, length: 56 },
  { openssl: 'SRTP_AEAD_AES_256_GCM', id: 0x0008, length: 88 },
] as const;

/** The hex after "Keying material: " in s_server/s_client output (uppercase there). */
function opensslKeyingMaterial(output: string): string | undefined {
  return /Keying material: ([0-9A-F]+)/.exec(output)?.[1]?.toLowerCase();
}

let server: DtlsServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('DTLS-SRTP with OpenSSL s_client (our server)', () => {
  it.each(PROFILES)('$openssl: the profile and the exported keying material match', async ({ openssl, id, length }) => {
    const accepted: { socket: DtlsSocket; km: SrtpKeyingMaterial | undefined }[] = [];
    // Our preference puts another profile first: the server must pick one the client offers.
    const ours = ['SRTP_AEAD_AES_256_GCM', 'SRTP_AES128_CM_HMAC_SHA1_32', 'SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'].filter((p) => p !== openssl);
    server = createServer({ psk: serverPsk(), srtpProfiles: [ours[0] ?? '', openssl] }, (s) => {
      // Read when the handshake is done: s_client's close_notify ends the connection right after.
      accepted.push({ socket: s, km: s.getSrtpKeyingMaterial() });
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({
      port,
      cipher: CIPHER,
      psk: KEY,
      identity: IDENTITY,
      messages: ['srtp'],
      extraArgs: ['-use_srtp', openssl, '-keymatexport', LABEL, '-keymatexportlen', String(length)],
    });
    const out = result.stdout + result.stderr;
    expect(result.echoed, out).toBe(true);
    expect(out).toContain(`SRTP Extension negotiated, profile=${openssl}`);
    const socket = accepted[0]?.socket;
    expect(socket?.srtpProfile?.id).toBe(id);
    expect(socket?.srtpProfile?.opensslName).toBe(openssl);
    const km = accepted[0]?.km;
    expect(km?.material.length).toBe(length);
    expect(Buffer.from(km?.material ?? []).toString('hex'), out).toBe(opensslKeyingMaterial(out));
  });
});

describe('DTLS-SRTP with OpenSSL s_server (our client)', () => {
  it.each(PROFILES)('$openssl: the profile and the exported keying material match', async ({ openssl, id, length }) => {
    // s_server prints the keying material only without -quiet, so no echo here: it stays up on an open stdin.
    peer = await startOpensslServer({
      cipher: CIPHER,
      psk: KEY,
      identity: IDENTITY,
      echo: false,
      extraArgs: ['-use_srtp', openssl === 'SRTP_AES128_CM_SHA1_80' ? openssl : `SRTP_AES128_CM_SHA1_80:${openssl}`, '-keymatexport', LABEL, '-keymatexportlen', String(length)],
    });
    // We offer the peer's profile first: OpenSSL picks by its own order only among what we offer.
    const client = await connect({ host: '127.0.0.1', port: peer.port, psk: clientPsk(), srtpProfiles: openssl });
    try {
      expect(client.srtpProfile?.id).toBe(id);
      const km = client.getSrtpKeyingMaterial();
      expect(km?.material.length).toBe(length);
      const p = peer;
      await until(() => opensslKeyingMaterial(p.stdout()) !== undefined, 5000, 'openssl s_server to print the keying material');
      expect(p.stdout()).toContain(`SRTP Extension negotiated, profile=${openssl}`);
      expect(Buffer.from(km?.material ?? []).toString('hex'), p.output()).toBe(opensslKeyingMaterial(p.stdout()));
      expect(Buffer.from(km?.clientKey ?? []).toString('hex') + Buffer.from(km?.serverKey ?? []).toString('hex')).toBe(
        opensslKeyingMaterial(p.stdout())?.slice(0, 4 * (km?.profile.keyLength ?? 0)),
      );
    } finally {
      await client.close();
    }
  });
});

describe('DTLS-SRTP MKI with OpenSSL (it has none)', () => {
  it('our client offers an srtp_mki; s_server answers without one, so the connection has no MKI', async () => {
    peer = await startOpensslServer({ cipher: CIPHER, psk: KEY, identity: IDENTITY, extraArgs: ['-use_srtp', 'SRTP_AEAD_AES_128_GCM'] });
    const client = await connect({ host: '127.0.0.1', port: peer.port, psk: clientPsk(), srtpProfiles: 'SRTP_AEAD_AES_128_GCM', srtpMki: Uint8Array.of(7) });
    try {
      expect(client.srtpProfile?.name).toBe('SRTP_AEAD_AES_128_GCM');
      expect(client.srtpMki).toBeUndefined();
      expect(client.getSrtpKeyingMaterial()?.mki.length).toBe(0);
      expect(await roundTrip(client, 'no mki')).toBe('no mki');
    } finally {
      await client.close();
    }
  });
});

describe('DTLS-SRTP with certificates, as WebRTC runs it (ECDHE_ECDSA)', () => {
  it('our server, openssl s_client -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -use_srtp SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80', async () => {
    const ca = await createCA({ commonName: 'srtp test CA' });
    const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
    const seen: (SrtpKeyingMaterial | undefined)[] = [];
    server = createServer({ x509: x509Server({ key: leaf.key, cert: leaf.cert }), srtpProfiles: 'SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM' }, (s) => {
      seen.push(s.getSrtpKeyingMaterial());
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({
      port,
      cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      messages: ['media'],
      extraArgs: ['-use_srtp', 'SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80', '-keymatexport', LABEL, '-keymatexportlen', '60'],
    });
    const out = result.stdout + result.stderr;
    expect(result.echoed, out).toBe(true);
    // Our preference decides among the client's profiles.
    expect(out).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80');
    expect(Buffer.from(seen[0]?.material ?? []).toString('hex'), out).toBe(opensslKeyingMaterial(out));
  });
});
