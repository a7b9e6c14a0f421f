/**
 * The built `dtls-kit` command with CBC suites (RFC 5246 6.2.3.2) and its encrypt-then-MAC flags
 * (RFC 7366): --no-etm talks MAC-then-encrypt, --require-etm refuses a peer without EtM. Against
 * `openssl s_server -dtls1_2 -listen -nocert -psk ... -cipher PSK-AES128-CBC-SHA256 [-no_etm]`
 * and `gnutls-cli --udp --pskusername Client_identity --pskkey ... --priority
 * 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256'`, which
 * prints "EtM" among the session's options when RFC 7366 is in force.
 */
import { gnutlsCbcPriority, runGnutlsClient, startOpensslServer } from '@dtls-kit/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

const SUITE = 'PSK-AES128-CBC-SHA256';

describe.concurrent('CBC suites and encrypt-then-MAC from the command line', () => {
  it('--no-etm and --require-etm together exit 2', async () => {
    const r = await runCli(['server', '--psk', PSK, '--cipher', SUITE, '--no-etm', '--require-etm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-etm and --require-etm contradict each other/);
  });

  it('--help lists the flags', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toContain('--no-etm');
    expect(r.stdout).toContain('--require-etm');
  });

  it.each([false, true])('dtls-kit client --cipher PSK-AES128-CBC-SHA256 ↔ openssl s_server (-no_etm: %s)', async (noEtm) => {
    const server = await startOpensslServer({ cipher: SUITE, psk: PSK, identity: 'Client_identity', extraArgs: noEtm ? ['-no_etm'] : [] });
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cipher', SUITE, '--message', 'cbc one', '--message', 'cbc two']);
      expect(client.code, client.stderr + server.output()).toBe(0);
      expect(client.stdout).toBe('cbc one\ncbc two\n');
      expect(client.stderr).toMatch(/PSK-AES128-CBC-SHA256/);
    } finally {
      await server.stop();
    }
  });

  it('dtls-kit client --require-etm refuses openssl s_server -no_etm', async () => {
    const server = await startOpensslServer({ cipher: SUITE, psk: PSK, identity: 'Client_identity', extraArgs: ['-no_etm'] });
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cipher', SUITE, '--require-etm', '--message', 'x', '--timeout', '5']);
      expect(client.code, client.stderr).toBe(1);
      expect(client.stderr).toMatch(/encrypt_then_mac/);
    } finally {
      await server.stop();
    }
  });

  it.each([false, true])('gnutls-cli ↔ dtls-kit server --cipher PSK-AES128-CBC-SHA256 (--no-etm: %s)', async (noEtm) => {
    const server = await startCliServer(['--psk', PSK, '--cipher', SUITE, '--once', ...(noEtm ? ['--no-etm'] : [])]);
    const client = await runGnutlsClient({ port: server.port, priority: gnutlsCbcPriority(SUITE, true), psk: PSK, identity: 'Client_identity', messages: ['cbc via gnutls'] });
    expect(client.echoed, client.stdout + client.stderr + server.stderr()).toBe(true);
    expect(client.description).toContain('-(PSK)-(AES-128-CBC)-(SHA256)');
    expect(/- Options: .*/.exec(client.stdout)?.[0].includes('EtM'), client.stdout).toBe(!noEtm);
    expect(await server.exited).toBe(0);
  });
});
