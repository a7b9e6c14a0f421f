/**
 * The CLI and the API agree on the MTU (issue 14): --mtu takes core's MIN_MTU..MAX_MTU, its
 * default is core's DEFAULT_MTU, and the largest --message is core's maxPayload (before the
 * handshake for the best suite offered, after it the socket's: the suite chosen and the server's
 * connection ID). A server never echoes more than fits one of its datagrams.
 */
import { DEFAULT_MTU, MAX_MTU, MIN_MTU, cipherSuiteByName } from '@dtls-kit/core';
import { maxPayloadFor, recordOverhead } from '@dtls-kit/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

/** Core's maxPayload at `mtu` for a suite (by OpenSSL name) with a CID of `cid` bytes in our records. */
function corePayload(mtu: number, suite: string, cid = 0): number {
  const s = cipherSuiteByName(suite);
  if (s === undefined) throw new Error(`no suite ${suite}`);
  return maxPayloadFor(mtu, recordOverhead(s, cid));
}

describe.concurrent('--mtu: core\'s bounds and default', () => {
  it.each([
    ['client', String(MIN_MTU - 1)],
    ['server', String(MIN_MTU - 1)],
    ['client', String(MAX_MTU + 1)],
  ])('%s --mtu %s is a usage error naming core\'s bounds', async (command, mtu) => {
    const args = command === 'client' ? ['client', '--host', '127.0.0.1', '--port', '9', '--psk', PSK, '--mtu', mtu] : ['server', '--port', '0', '--psk', PSK, '--mtu', mtu];
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dtls-kit: --mtu must be ${MIN_MTU}..${MAX_MTU}, got ${mtu} (see dtls-kit --help)\n`);
  });

  it('--help states the same bounds and default', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--mtu N             largest datagram sent, in bytes (${MIN_MTU}..${MAX_MTU}; default ${DEFAULT_MTU})`);
    expect(r.stdout).toMatch(/N - 29 bytes with ChaCha20-Poly1305 or AES-CCM-8, N - 37 with\s+AES-GCM or AES-CCM, less the server's connection ID \+ 1 with --cid/);
  });

  it(`--mtu ${MIN_MTU} works end to end: a ${MIN_MTU - 29}-byte message with AES-CCM-8`, async () => {
    const server = await startCliServer(['--psk', PSK, '--mtu', String(MIN_MTU), '--once']);
    const message = 'm'.repeat(corePayload(MIN_MTU, 'PSK-AES128-CCM8'));
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', String(MIN_MTU), '--cipher', 'PSK-AES128-CCM8', '--message', message]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${message}\n`);
    expect(await server.exited).toBe(0);
  });
});

describe.concurrent('--message: at most core\'s maxPayload', () => {
  it('at --mtu 600 with AES-GCM: 563 bytes (core\'s maxPayload) go and come back; 564 is exit 2 before anything is sent', async () => {
    const limit = corePayload(600, 'PSK-AES128-GCM-SHA256');
    expect(limit).toBe(563);
    const server = await startCliServer(['--psk', PSK, '--mtu', '600']);
    try {
      // --dtls1_2: the 1.2 suite's overhead (DTLS 1.3's is below).
      const base = ['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', '600', '--cipher', 'PSK-AES128-GCM-SHA256', '--dtls1_2'];
      const fits = await runCli([...base, '--message', 'a'.repeat(limit)]);
      expect(fits.code, fits.stderr).toBe(0);
      expect(fits.stdout).toBe(`${'a'.repeat(limit)}\n`);
      const over = await runCli([...base, '--message', 'a'.repeat(limit + 1)]);
      expect(over.code).toBe(2);
      expect(over.stderr).toBe(`dtls-kit: --message 1 is 564 bytes: the largest that fits one datagram at --mtu 600 is 563 bytes (raise --mtu, or split the message) (see dtls-kit --help)\n`);
    } finally {
      await server.stop();
    }
  });

  it('DTLS 1.3 (the default) at --mtu 600: 578 bytes go and come back; 579 is exit 2 before anything is sent', async () => {
    // RFC 9147 4: a unified header with a 16-bit sequence number and the length (5 bytes), the inner
    // content type (1) and the 16-byte tag of every 1.3 suite offered: 22 bytes; no explicit nonce.
    const limit = 600 - 22;
    const server = await startCliServer(['--psk', PSK, '--mtu', '600']);
    try {
      const base = ['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', '600'];
      const fits = await runCli([...base, '--message', 'a'.repeat(limit)]);
      expect(fits.code, fits.stderr).toBe(0);
      expect(fits.stderr).toMatch(/connected to .* DTLSv1\.3 TLS_AES_128_GCM_SHA256 /);
      expect(fits.stdout).toBe(`${'a'.repeat(limit)}\n`);
      const over = await runCli([...base, '--message', 'a'.repeat(limit + 1)]);
      expect(over.code).toBe(2);
      expect(over.stderr).toBe(`dtls-kit: --message 1 is 579 bytes: the largest that fits one datagram at --mtu 600 is 578 bytes (raise --mtu, or split the message) (see dtls-kit --help)\n`);
    } finally {
      await server.stop();
    }
  });

  it('DTLS 1.3 with connection IDs: the server\'s CID in our records lowers the limit: exit 2 after the handshake, naming it', async () => {
    // RFC 9147 4: the server's 8-byte CID follows the unified header's first byte: 22 + 8 = 30 bytes.
    const server = await startCliServer(['--psk', PSK, '--mtu', '600', '--cid', '8']);
    try {
      const limit = 600 - 30;
      const base = ['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', '600', '--cid', '4'];
      const fits = await runCli([...base, '--message', 'c'.repeat(limit)]);
      expect(fits.code, fits.stderr).toBe(0);
      expect(fits.stdout).toBe(`${'c'.repeat(limit)}\n`);
      // 571 bytes fit a 1.3 record without a CID (578), so the parser lets them through; the socket's maxPayload does not.
      const over = await runCli([...base, '--message', 'c'.repeat(limit + 1)]);
      expect(over.code).toBe(2);
      expect(over.stderr).toMatch(/--message 1 is 571 bytes: the largest that fits one datagram at --mtu 600 with TLS_AES_128_GCM_SHA256 and the server's 8-byte connection ID is 570 bytes/);
      expect(over.stdout).toBe('');
    } finally {
      await server.stop();
    }
  });

  it('with connection IDs the limit counts the server\'s CID in our records: exit 2 after the handshake, naming it', async () => {
    // The server asks for an 8-byte CID in the client's records: 13 + 8 + 1 + 8 + 8 = 38 bytes with AES-CCM-8.
    const server = await startCliServer(['--psk', PSK, '--mtu', '600', '--cid', '8']);
    try {
      const limit = corePayload(600, 'PSK-AES128-CCM8', 8);
      expect(limit).toBe(562);
      // --dtls1_2: the tls12_cid record's overhead (RFC 9146 4).
      const base = ['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', '600', '--cid', '4', '--cipher', 'PSK-AES128-CCM8', '--dtls1_2'];
      const fits = await runCli([...base, '--message', 'c'.repeat(limit)]);
      expect(fits.code, fits.stderr).toBe(0);
      expect(fits.stdout).toBe(`${'c'.repeat(limit)}\n`);
      // 563 bytes fit without a CID (600 - 29 = 571), so the parser lets them through; the socket's maxPayload does not.
      const over = await runCli([...base, '--message', 'c'.repeat(limit + 1)]);
      expect(over.code).toBe(2);
      expect(over.stderr).toMatch(/--message 1 is 563 bytes: the largest that fits one datagram at --mtu 600 with PSK-AES128-CCM8 and the server's 8-byte connection ID is 562 bytes/);
      expect(over.stdout).toBe('');
    } finally {
      await server.stop();
    }
  });
});

describe('the server echoes only what fits one of its datagrams', () => {
  // DTLS 1.2 with AES-CCM-8: 300 - 29 = 271 bytes; DTLS 1.3: 300 - 22 = 278 (RFC 9147 4: a 5-byte
  // unified header, the inner content type, a 16-byte tag).
  it.each([
    ['nonblocking', 'DTLSv1.3', [], 278, 'TLS_AES_128_GCM_SHA256'],
    ['blocking', 'DTLSv1.3', [], 278, 'TLS_AES_128_GCM_SHA256'],
    ['nonblocking', 'DTLSv1.2', ['--dtls1_2'], 271, 'PSK-AES128-CCM8'],
    ['blocking', 'DTLSv1.2', ['--dtls1_2'], 271, 'PSK-AES128-CCM8'],
  ])('--runtime %s (%s) --mtu 300, a client at --mtu 600 sends 500 bytes: not echoed, said so; the connection carries on', async (runtime, _version, flags, fit, suite) => {
    const server = await startCliServer(['--runtime', runtime, '--psk', PSK, '--mtu', '300', '--cipher', 'PSK-AES128-CCM8']);
    try {
      const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--mtu', '600', '--timeout', '1', '--message', 'b'.repeat(500), '--message', 'small', ...flags]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('small\n');
      expect(r.stderr).toMatch(/1 of 2 replies received/);
      await expect
        .poll(() => server.stderr(), { timeout: 5000 })
        .toMatch(new RegExp(`not echoed to 127\\.0\\.0\\.1:\\d+: the message is 500 bytes, and at most ${fit} fit one datagram at the server's --mtu 300 with ${suite}`));
      await expect.poll(() => server.stderr(), { timeout: 5000 }).toMatch(/close 127\.0\.0\.1:\d+ after 2 messages\n/);
      expect(server.stderr()).not.toMatch(/handler failed|internal_error/);
    } finally {
      await server.stop();
    }
  });
});
