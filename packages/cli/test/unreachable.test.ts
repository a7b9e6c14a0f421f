/**
 * `dtls-kit client` with no server to talk to: the reason on stderr and exit 1, at once for a
 * closed port (ICMP port unreachable), after --timeout for silence; never an alert nobody sent.
 */
import { HANDSHAKE_TYPE, closedUdpPort, silentUdpPort, startFaultRelay, type FaultRelay, type SilentUdpPort } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer, type CliServer } from './helpers.js';

afterAll(killAll);

let server: CliServer | undefined;
let relay: FaultRelay | undefined;
const silent: SilentUdpPort[] = [];
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.stop();
  server = undefined;
  await Promise.all(silent.splice(0).map((s) => s.close()));
});

/** A UDP socket that takes every datagram and never answers, closed after the test. */
async function silentPort(): Promise<SilentUdpPort> {
  const s = await silentUdpPort();
  silent.push(s);
  return s;
}

async function timed<T>(run: Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await run;
  return { ...result, ms: performance.now() - started };
}

describe('dtls-kit client without a server', () => {
  // The old client waited its --timeout (10 s by default) and blamed handshake_failure: it is
  // killed at 3 s here, so it fails this test.
  it('a closed port: "connect ECONNREFUSED" and exit 1 within a second', async () => {
    const port = await closedUdpPort();
    const r = await timed(runCli(['client', '--host', '127.0.0.1', '--port', String(port), '--psk', PSK, '--message', 'x'], { timeoutMs: 3000 }));
    console.log(`cli: closed port 127.0.0.1:${port}: exit ${r.code} after ${r.ms.toFixed(0)} ms (node start included): ${r.stderr.trim()}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dtls-kit: connect ECONNREFUSED 127.0.0.1:${port} (no DTLS server: ICMP port unreachable)\n`);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(2000);
  }, 5000);

  it('a closed port with --trace: the ladder says the handshake was abandoned, not done', async () => {
    const port = await closedUdpPort();
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(port), '--psk', PSK, '--message', 'x', '--trace'], { timeoutMs: 3000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/client: handshake abandoned after/);
    expect(r.stderr).not.toMatch(/handshake done/);
    expect(r.stderr).toMatch(/connect ECONNREFUSED 127\.0\.0\.1/);
  }, 5000);

  it('a port where nothing answers: "no reply from HOST:PORT within N ms" after --timeout, exit 1', async () => {
    const port = (await silentPort()).port;
    const r = await timed(runCli(['client', '--host', '127.0.0.1', '--port', String(port), '--psk', PSK, '--message', 'x', '--timeout', '0.5'], { timeoutMs: 5000 }));
    console.log(`cli: silent 127.0.0.1:${port}: exit ${r.code} after ${r.ms.toFixed(0)} ms: ${r.stderr.trim()}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dtls-kit: no reply from 127.0.0.1:${port} within 500 ms\n`);
    expect(r.stderr).not.toMatch(/alert/);
  }, 8000);

  it('a server that answered and then went quiet: the handshake timeout, with no alert claimed', async () => {
    server = await startCliServer(['--host', '127.0.0.1', '--psk', PSK]);
    // The first ClientHello gets its HelloVerifyRequest; the one with the cookie never arrives.
    relay = await startFaultRelay({
      target: server.port,
      seed: 1,
      rules: [{ direction: 'toServer', match: { handshakeType: HANDSHAKE_TYPE.clientHello }, skip: 1, times: Infinity, action: { kind: 'drop' } }],
    });
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(relay.port), '--psk', PSK, '--message', 'x', '--timeout', '0.5'], { timeoutMs: 5000 });
    console.log(`cli: stalled after the HelloVerifyRequest: exit ${r.code}: ${r.stderr.trim()}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dtls-kit: handshake with 127.0.0.1:${relay.port} failed: handshake did not complete within 500 ms (no alert was sent or received)\n`);
  }, 8000);
});
