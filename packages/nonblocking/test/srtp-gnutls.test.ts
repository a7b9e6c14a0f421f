/**
 * DTLS-SRTP (RFC 5764) against GnuTLS 3.7, both roles. GnuTLS 3.7 knows only the AES128_CM
 * profiles (and the NULL ones), no AEAD ones (RFC 7714); gnutls-serv prints no keying material,
 * gnutls-cli prints the profile and, with --keymatexport, the exporter output.
 *
 *   gnutls-cli --udp -p PORT --priority 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD' \
 *     --pskusername Client_identity --pskkey 000102030405060708090a0b0c0d0e0f --insecure \
 *     --srtp-profiles PROFILES --keymatexport EXTRACTOR-dtls_srtp --keymatexportsize 60 127.0.0.1
 *   gnutls-serv --udp -p PORT --noticket -a --echo --pskpasswd psk.passwd --priority '...' --srtp-profiles PROFILES
 *
 * MKI: gnutls-serv answers a client's srtp_mki with the same MKI (RFC 5764 4.1.1), which is what
 * our client then reports; GnuTLS's tools cannot offer one (there is no --srtp-mki).
 */
import { gnutlsPriority, runGnutlsClient, startGnutlsServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket, type SrtpKeyingMaterial } from '../src/index.js';
import { IDENTITY, KEY, clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

const PRIORITY = gnutlsPriority('PSK', 'AES-128-GCM');
const LABEL = 'EXTRACTOR-dtls_srtp';

let server: DtlsServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('DTLS-SRTP with gnutls-cli (our server)', () => {
  it.each([
    { gnutls: 'SRTP_AES128_CM_HMAC_SHA1_80', id: 0x0001 },
    { gnutls: 'SRTP_AES128_CM_HMAC_SHA1_32', id: 0x0002 },
  ])('$gnutls: the profile and the exported keying material match', async ({ gnutls, id }) => {
    const accepted: { socket: DtlsSocket; km: SrtpKeyingMaterial | undefined }[] = [];
    server = createServer({ psk: serverPsk(), srtpProfiles: `SRTP_AEAD_AES_128_GCM:${gnutls}` }, (s) => {
      accepted.push({ socket: s, km: s.getSrtpKeyingMaterial() });
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runGnutlsClient({
      port,
      priority: PRIORITY,
      psk: KEY,
      identity: IDENTITY,
      messages: ['srtp'],
      // gnutls-cli offers both; ours has only one of them, which it must then pick.
      extraArgs: ['--srtp-profiles', 'SRTP_AES128_CM_HMAC_SHA1_80:SRTP_AES128_CM_HMAC_SHA1_32', '--keymatexport', LABEL, '--keymatexportsize', '60'],
    });
    const out = result.stdout + result.stderr;
    expect(result.echoed, out).toBe(true);
    expect(out).toContain(`- SRTP profile: ${gnutls}`);
    expect(accepted[0]?.socket.srtpProfile?.id).toBe(id);
    const km = accepted[0]?.km;
    expect(km?.material.length).toBe(60);
    expect(Buffer.from(km?.material ?? []).toString('hex'), out).toBe(/- Key material: ([0-9a-f]+)/.exec(out)?.[1]);
  });
});

describe('DTLS-SRTP with gnutls-serv (our client)', () => {
  it('negotiates the profile gnutls-serv has, and gnutls-serv echoes our srtp_mki', async () => {
    peer = await startGnutlsServer({ priority: PRIORITY, psk: KEY, identity: IDENTITY, extraArgs: ['--srtp-profiles', 'SRTP_AES128_CM_HMAC_SHA1_32'] });
    const mki = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      psk: clientPsk(),
      srtpProfiles: 'SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32',
      srtpMki: mki,
    });
    try {
      expect(client.srtpProfile?.name).toBe('SRTP_AES128_CM_HMAC_SHA1_32');
      expect(client.srtpMki).toEqual(Buffer.from(mki));
      const km = client.getSrtpKeyingMaterial();
      expect(km?.mki).toEqual(mki);
      expect(km?.clientKey.length).toBe(16);
      expect(km?.serverSalt.length).toBe(14);
      expect(await roundTrip(client, 'over srtp-keyed dtls')).toBe('over srtp-keyed dtls');
    } finally {
      await client.close();
    }
  });

  it('no profile in common: gnutls-serv answers without use_srtp and the handshake goes on', async () => {
    peer = await startGnutlsServer({ priority: PRIORITY, psk: KEY, identity: IDENTITY, extraArgs: ['--srtp-profiles', 'SRTP_AES128_CM_HMAC_SHA1_32'] });
    const client = await connect({ host: '127.0.0.1', port: peer.port, psk: clientPsk(), srtpProfiles: ['SRTP_AEAD_AES_128_GCM'] });
    try {
      expect(client.srtpProfile).toBeUndefined();
      expect(client.getSrtpKeyingMaterial()).toBeUndefined();
      expect(await roundTrip(client, 'no srtp')).toBe('no srtp');
    } finally {
      await client.close();
    }
  });
});
