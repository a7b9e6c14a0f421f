// The measurements of `pnpm bench` (and of `pnpm bench:profile`): for each, its rows (a server and
// its clients as command lines) and how one run of a row is measured.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { result, start } from './runner.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The memory rows' DTLS 1.3 label (targets.mjs reads it too). */
export const KIT13_MEMORY = 'dtls-kit non-blocking, node:crypto, DTLS 1.3';

/** Counts: every load loop is bounded by a count and by seconds. */
export const counts = (quick) =>
  quick
    ? { tput: 1000, tputWarm: 100, pp: 200, ppWarm: 20, hs: 10, hsWarm: 1, hsColdWarm: 1, sec: 0.3, mem: [20], memSec: 20, memBig: { connections: 200, processes: 2, seconds: 30 }, blockingClients: 2, blockingWarmSec: 0.3 }
    : { tput: 100_000, tputWarm: 5000, pp: 50_000, ppWarm: 1000, hs: 5000, hsWarm: 3000, hsColdWarm: 20, sec: 2, mem: [1000, 10_000], memSec: 90, memBig: { connections: 100_000, processes: 10, seconds: 300 }, blockingClients: 4, blockingWarmSec: 6 };

/**
 * Every measurement. `nodeFlags(script, args)` gives flags to put before the script of every Node
 * peer (e.g. --cpu-prof for bench:profile); `cbin` is the OpenSSL C peer, `certs` the folder of
 * test certificates.
 */

export function defineMeasurements({ N, certs, cbin, nodeFlags = () => [] }) {
  const node = (file, ...args) => [process.execPath, [...nodeFlags(file, args), join(here, file), ...args]];
  const nodeGc = (file, ...args) => [process.execPath, [...nodeFlags(file, args), '--expose-gc', join(here, file), ...args]];
  const c = (...args) => [cbin, args.map(String)];

  // ---------------------------------------------------------------- servers and clients

  const servers = {
    dgram: () => node('peer-dgram.mjs', '--role', 'server'),
    kit: (suite, provider = 'node', sessions = 'off') => node('peer-dtlskit.mjs', '--role', 'server', '--suite', suite, '--provider', provider, '--certs', certs, '--sessions', sessions),
    openssl: (suite) => c('server', suite, 0, certs),
    werift: () => node('peer-werift.mjs', '--role', 'server', '--suite', 'ecdsa', '--certs', certs),
    blocking: (workers, handshakes) => node('peer-blocking.mjs', '--role', 'server', '--suite', 'psk', '--workers', String(workers), '--handshakes', handshakes),
    // nginx (dtls-kit lb-config, one worker) in front of `n` backends of `backend` ('dgram' or 'kit').
    lb: (backend, n, proxy = 'on') => node('peer-lb.mjs', '--backend', backend, '--backends', String(n), '--proxy', proxy),
    // wolfSSL 5.5.4's example server in its benchmark mode (-B): it must know the byte count.
    wolfssl: (version, count) => node('peer-wolfssl.mjs', '--role', 'server', '--version', version, '--count', String(count)),
  };

  const loadArgs = (workload, count, warmup, seconds) => ['--workload', workload, '--count', String(count), '--warmup', String(warmup), '--seconds', String(seconds)];
  const clients = {
    dgram: (port, w, n, warm, s) => node('peer-dgram.mjs', '--role', 'client', '--port', String(port), ...loadArgs(w, n, warm, s)),
    kit: (suite, provider = 'node', sessions = 'off') => (port, w, n, warm, s) =>
      node('peer-dtlskit.mjs', '--role', 'client', '--suite', suite, '--provider', provider, '--certs', certs, '--sessions', sessions, '--port', String(port), ...loadArgs(w, n, warm, s)),
    openssl: (suite) => (port, w, n, warm, s) => c('client', w, suite, port, n, warm, s, certs),
    werift: (port, w, n, warm, s) => node('peer-werift.mjs', '--role', 'client', '--suite', 'ecdsa', '--certs', certs, '--port', String(port), ...loadArgs(w, n, warm, s)),
    ndc: (port, w, n, warm, s) => node('peer-ndc.mjs', '--role', 'client', '--suite', 'psk', '--port', String(port), ...loadArgs(w, n, warm, s)),
    wolfssl: (version) => (port, _w, n) => node('peer-wolfssl.mjs', '--role', 'client', '--version', version, '--port', String(port), '--count', String(n)),
  };

  /**
   * One row of a message/handshake measurement: a server and one or more clients; `workload`
   * replaces the measurement's (the cold rows: a fresh process, almost no warm-up).
   */
  const row = (label, server, client, { clientsCount = 1, note, workload } = {}) => ({ label, server, client, clientsCount, note, workload });
  const cold = ['handshake', N.hs, N.hsColdWarm, N.sec];
  const COLD = `fresh client and server processes, warm-up handshakes: ${N.hsColdWarm}`;

  /** The rows of other suites than PSK-AES128-GCM-SHA256 say which. */
  const CHACHA = 'PSK-CHACHA20-POLY1305';

  const rate = (key) => (rs) => rs.reduce((a, r) => a + r[key], 0) / Math.max(...rs.map((r) => r.seconds));

  const measurements = [
    {
      id: 'throughput',
      title: 'One-way throughput, 1200-byte messages (window 64, an ack every 16)',
      workload: ['throughput', N.tput, N.tputWarm, N.sec],
      unit: 'records/s',
      extra: { unit: 'MB/s', of: (v) => (v * 1200) / 1e6 },
      value: rate('records'),
      rows: [
        row('plain node:dgram (no crypto)', servers.dgram(), clients.dgram),
        row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
        row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
        // The native provider seals ChaCha20-Poly1305 only; node:crypto on the same suite is its A/B.
        row('dtls-kit non-blocking, sodium-native', servers.kit('psk-chacha', 'sodium'), clients.kit('psk-chacha', 'sodium'), { note: CHACHA }),
        row('dtls-kit non-blocking, node:crypto, ChaCha20', servers.kit('psk-chacha'), clients.kit('psk-chacha'), { note: CHACHA }),
        // OpenSSL EVP through @dtls-kit/native-aead, on the default suite: node:crypto's row is its A/B.
        row('dtls-kit non-blocking, native-aead', servers.kit('psk', 'native'), clients.kit('psk', 'native')),
        row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
        row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift),
        row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
      ],
      baselines: ['plain node:dgram (no crypto)', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
    },
    {
      id: 'pingpong',
      title: 'Ping-pong, 1200-byte messages (one in flight)',
      workload: ['pingpong', N.pp, N.ppWarm, N.sec],
      unit: 'round trips/s',
      value: rate('roundTrips'),
      rows: [
        row('plain node:dgram (no crypto)', servers.dgram(), clients.dgram),
        row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
        row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
        row('dtls-kit non-blocking, sodium-native', servers.kit('psk-chacha', 'sodium'), clients.kit('psk-chacha', 'sodium'), { note: CHACHA }),
        row('dtls-kit non-blocking, native-aead', servers.kit('psk', 'native'), clients.kit('psk', 'native')),
        row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
        row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift),
        row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
      ],
      baselines: ['plain node:dgram (no crypto)', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
    },
    {
      id: 'handshake-psk',
      title: 'Sequential full handshakes, PSK-AES128-GCM-SHA256, cookie exchange on',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
        row('dtls-kit non-blocking, node:crypto, cold', servers.kit('psk'), clients.kit('psk'), { workload: cold, note: COLD }),
        row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
        row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
        row('OpenSSL client → dtls-kit server', servers.kit('psk'), clients.openssl('psk')),
        row('dtls-kit client → OpenSSL server', servers.openssl('psk'), clients.kit('psk')),
        row('node-dtls-client → dtls-kit server', servers.kit('psk'), clients.ndc),
        row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
      ],
      baselines: ['OpenSSL 3 (C)'],
    },
    {
      id: 'handshake-ecdsa',
      title: 'Sequential full handshakes, ECDHE-ECDSA-AES128-GCM-SHA256 (P-256 certificate), cookie exchange on',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('dtls-kit non-blocking, node:crypto', servers.kit('ecdsa'), clients.kit('ecdsa')),
        row('dtls-kit non-blocking, node:crypto, cold', servers.kit('ecdsa'), clients.kit('ecdsa'), { workload: cold, note: COLD }),
        row('dtls-kit non-blocking, noble', servers.kit('ecdsa', 'noble'), clients.kit('ecdsa', 'noble')),
        row('OpenSSL 3 (C)', servers.openssl('ecdsa'), clients.openssl('ecdsa')),
        row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift, { note: 'client checks no chain' }),
        row('OpenSSL client → dtls-kit server', servers.kit('ecdsa'), clients.openssl('ecdsa')),
        row('dtls-kit client → OpenSSL server', servers.openssl('ecdsa'), clients.kit('ecdsa')),
      ],
      baselines: ['OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
    },
    {
      // Next to the ECDSA row: what resuming (RFC 5246 7.3, a session ticket) saves over a full
      // handshake, as the ÷ full column: no certificate, no signature, no ECDHE.
      id: 'handshake-resumed',
      title: 'Sequential resumed handshakes (abbreviated, session ticket) vs full ones, ECDHE-ECDSA-AES128-GCM-SHA256, cookie exchange on',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        // Both rows with tickets on (the resumed one needs them), so that they differ only in resuming.
        row('dtls-kit non-blocking, node:crypto, full', servers.kit('ecdsa', 'node', 'on'), clients.kit('ecdsa', 'node', 'on')),
        row('dtls-kit non-blocking, node:crypto, resumed', servers.kit('ecdsa', 'node', 'on'), clients.kit('ecdsa', 'node', 'on'), { workload: ['handshake-resumed', N.hs, N.hsWarm, N.sec] }),
      ],
      baselines: ['dtls-kit non-blocking, node:crypto, full'],
    },
    // Issue 17: DTLS 1.3 (RFC 9147) next to DTLS 1.2, the same harness and clients, ratios to the
    // 1.2 row of the same run. The 1.3 handshake has a HelloRetryRequest round trip (the stateless
    // cookie, RFC 9147 5.1) as 1.2 has its HelloVerifyRequest; a 1.3 PSK handshake is psk_dhe_ke
    // (an X25519 share), so a 1.2 ECDHE-PSK row is there too. The records: the unified header,
    // record number encryption (RFC 9147 4.2.3) and the inner content type.
    {
      id: 'dtls13-handshake-psk',
      title: 'DTLS 1.3 vs 1.2: sequential full PSK handshakes (cookie exchange on: HelloVerifyRequest in 1.2, HelloRetryRequest in 1.3)',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('DTLS 1.2, PSK-AES128-GCM-SHA256', servers.kit('psk'), clients.kit('psk')),
        row('DTLS 1.2, ECDHE-PSK-AES128-GCM-SHA256', servers.kit('psk-ecdhe'), clients.kit('psk-ecdhe')),
        row('DTLS 1.3, TLS_AES_128_GCM_SHA256', servers.kit('psk13'), clients.kit('psk13'), { note: 'psk_dhe_ke, X25519' }),
      ],
      baselines: ['DTLS 1.2, PSK-AES128-GCM-SHA256', 'DTLS 1.2, ECDHE-PSK-AES128-GCM-SHA256'],
    },
    {
      id: 'dtls13-handshake-ecdsa',
      title: 'DTLS 1.3 vs 1.2: sequential full handshakes with a P-256 certificate (ECDSA), cookie exchange on',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('DTLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256', servers.kit('ecdsa'), clients.kit('ecdsa')),
        row('DTLS 1.3, TLS_AES_128_GCM_SHA256', servers.kit('ecdsa13'), clients.kit('ecdsa13'), { note: 'X25519, ecdsa_secp256r1_sha256' }),
      ],
      baselines: ['DTLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256'],
    },
    {
      id: 'dtls13-throughput',
      title: 'DTLS 1.3 vs 1.2: one-way throughput, 1200-byte messages (window 64, an ack every 16), AES-128-GCM',
      workload: ['throughput', N.tput, N.tputWarm, N.sec],
      unit: 'records/s',
      extra: { unit: 'MB/s', of: (v) => (v * 1200) / 1e6 },
      value: rate('records'),
      rows: [
        row('DTLS 1.2, PSK-AES128-GCM-SHA256', servers.kit('psk'), clients.kit('psk')),
        row('DTLS 1.3, TLS_AES_128_GCM_SHA256', servers.kit('psk13'), clients.kit('psk13'), { note: 'unified header, encrypted record numbers' }),
        // The C reference: wolfSSL's own pair, its benchmark mode (peer-wolfssl.mjs): another workload
        // (records sent without a window or acks), read as wolfSSL 1.3 ÷ wolfSSL 1.2.
        row('wolfSSL 5.5.4 examples (C), DTLS 1.2, PSK-AES128-GCM-SHA256', servers.wolfssl('1.2', N.tput / 10), clients.wolfssl('1.2'), { note: 'client -B send rate', workload: ['throughput', N.tput / 10, 0, N.sec] }),
        row('wolfSSL 5.5.4 examples (C), DTLS 1.3, TLS_AES_128_GCM_SHA256', servers.wolfssl('1.3', N.tput / 10), clients.wolfssl('1.3'), { note: 'client -B send rate', workload: ['throughput', N.tput / 10, 0, N.sec] }),
      ],
      baselines: ['DTLS 1.2, PSK-AES128-GCM-SHA256', 'wolfSSL 5.5.4 examples (C), DTLS 1.2, PSK-AES128-GCM-SHA256'],
    },
    {
      id: 'dtls13-pingpong',
      title: 'DTLS 1.3 vs 1.2: ping-pong, 1200-byte messages (one in flight), AES-128-GCM',
      workload: ['pingpong', N.pp, N.ppWarm, N.sec],
      unit: 'round trips/s',
      value: rate('roundTrips'),
      rows: [
        row('DTLS 1.2, PSK-AES128-GCM-SHA256', servers.kit('psk'), clients.kit('psk')),
        row('DTLS 1.3, TLS_AES_128_GCM_SHA256', servers.kit('psk13'), clients.kit('psk13'), { note: 'unified header, encrypted record numbers' }),
      ],
      baselines: ['DTLS 1.2, PSK-AES128-GCM-SHA256'],
    },
    {
      id: 'blocking',
      title: `Blocking runtime, handshakes/s with 1, 2 and 4 server workers, handshakes in the workers (handshakes: 'worker') or on the main thread (the default, 'auto', for this server's inline PSK keys) (PSK-AES128-GCM-SHA256; ${N.blockingClients} OpenSSL C client processes, sequential handshakes each)`,
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      // Every row's server first serves the same clients for N.blockingWarmSec, results discarded:
      // each blocking worker thread warms its JIT on its own (a share of the handshakes), and
      // after the clients' own 2 s of warm-up its compiler was still busy (blocking-cpu.mjs:
      // 4 s in, the server's other threads spent ~430 µs per handshake, 12 s in ~30).
      warmSeconds: N.blockingWarmSec,
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('dtls-kit blocking, handshakes in workers, 1 worker', servers.blocking(1, 'worker'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        row('dtls-kit blocking, handshakes in workers, 2 workers', servers.blocking(2, 'worker'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        row('dtls-kit blocking, handshakes in workers, 4 workers', servers.blocking(4, 'worker'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        // The default ('auto' with inline PSK keys): the main thread runs each handshake, a worker
        // the established connection (peer-blocking.mjs checks that 'auto' resolved to 'main').
        row('dtls-kit blocking, default (handshakes on main), 2 workers', servers.blocking(2, 'auto'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        row('dtls-kit blocking, default (handshakes on main), 4 workers', servers.blocking(4, 'auto'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
        row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk'), { clientsCount: N.blockingClients, note: 'one client at a time: serialises the clients' }),
      ],
      baselines: ['dtls-kit blocking, handshakes in workers, 1 worker', 'OpenSSL 3 (C)'],
    },
    // Issue 18: the same workloads through nginx's UDP load balancer (Debian's nginx, stream + njs,
    // the configuration of `dtls-kit lb-config`, one nginx worker) next to the direct figures. On a
    // 2-core machine the clients, nginx and the servers share the cores: read the ratios.
    {
      id: 'lb-pingpong',
      title: 'Through nginx: ping-pong, 1200-byte messages (one in flight); nginx adds two UDP hops per round trip',
      workload: ['pingpong', N.pp, N.ppWarm, N.sec],
      unit: 'round trips/s',
      value: rate('roundTrips'),
      rows: [
        row('plain node:dgram, direct', servers.dgram(), clients.dgram),
        row('plain node:dgram, through nginx', servers.lb('dgram', 1, 'off'), clients.dgram, { note: 'no PROXY header: nginx alone' }),
        row('dtls-kit, direct', servers.kit('psk'), clients.kit('psk')),
        row('dtls-kit, through nginx, PROXY v2 on each datagram', servers.lb('kit', 1), clients.kit('psk')),
        row('dtls-kit, through nginx, no PROXY header', servers.lb('kit', 1, 'off'), clients.kit('psk'), { note: 'the njs filter not run' }),
      ],
      baselines: ['plain node:dgram, direct', 'dtls-kit, direct'],
    },
    {
      id: 'lb-throughput',
      title: 'Through nginx: one-way throughput, 1200-byte messages (window 64, an ack every 16)',
      workload: ['throughput', N.tput, N.tputWarm, N.sec],
      unit: 'records/s',
      extra: { unit: 'MB/s', of: (v) => (v * 1200) / 1e6 },
      value: rate('records'),
      rows: [
        row('dtls-kit, direct', servers.kit('psk'), clients.kit('psk')),
        row('dtls-kit, through nginx, 1 backend', servers.lb('kit', 1), clients.kit('psk')),
        row('dtls-kit, through nginx, 2 backends, 2 clients', servers.lb('kit', 2), clients.kit('psk'), { clientsCount: 2 }),
        row('dtls-kit, direct, 2 clients', servers.kit('psk'), clients.kit('psk'), { clientsCount: 2 }),
      ],
      baselines: ['dtls-kit, direct'],
    },
    {
      id: 'lb-handshake',
      title: 'Through nginx: full PSK-AES128-GCM-SHA256 handshakes (cookie exchange on), 2 client processes',
      workload: ['handshake', N.hs, N.hsWarm, N.sec],
      unit: 'handshakes/s',
      value: rate('handshakes'),
      rows: [
        row('dtls-kit, direct', servers.kit('psk'), clients.kit('psk'), { clientsCount: 2 }),
        row('dtls-kit, through nginx, 1 backend', servers.lb('kit', 1), clients.kit('psk'), { clientsCount: 2 }),
        row('dtls-kit, through nginx, 2 backends', servers.lb('kit', 2), clients.kit('psk'), { clientsCount: 2 }),
      ],
      baselines: ['dtls-kit, direct'],
    },
  ];

  // Memory per idle established connection: the server reports heap/RSS after GC, before and with N.
  // Sessions on, as a server with default options runs: each connection's session is in the cache.
  const memoryServers = {
    'dtls-kit non-blocking, node:crypto': (n) => nodeGc('peer-dtlskit.mjs', '--role', 'server', '--suite', 'psk', '--sessions', 'on', '--connections', String(n)),
    'dtls-kit non-blocking, noble': (n) => nodeGc('peer-dtlskit.mjs', '--role', 'server', '--suite', 'psk', '--provider', 'noble', '--sessions', 'on', '--connections', String(n)),
    // DTLS 1.3, the default version since the flip (psk_dhe_ke, tickets on, as its defaults run).
    [KIT13_MEMORY]: (n) => nodeGc('peer-dtlskit.mjs', '--role', 'server', '--suite', 'psk13', '--sessions', 'on', '--connections', String(n)),
    'werift-dtls (ECDHE-ECDSA)': (n) => nodeGc('peer-werift.mjs', '--role', 'server', '--suite', 'ecdsa', '--certs', certs, '--connections', String(n)),
  };
  const memoryClients = {
    'dtls-kit non-blocking, node:crypto': (port, n, seconds = N.memSec, local = []) =>
      node('peer-dtlskit.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'psk', '--sessions', 'on', '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(seconds), ...local),
    'dtls-kit non-blocking, noble': (port, n) => node('peer-dtlskit.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'psk', '--sessions', 'on', '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
    [KIT13_MEMORY]: (port, n) => node('peer-dtlskit.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'psk13', '--sessions', 'on', '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
    'werift-dtls (ECDHE-ECDSA)': (port, n) => node('peer-werift.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'ecdsa', '--certs', certs, '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
  };
  for (const n of N.mem) {
    const labels = n >= 10_000 ? ['dtls-kit non-blocking, node:crypto', KIT13_MEMORY] : Object.keys(memoryServers);
    measurements.push({
      id: `memory-${n}`,
      title: `Memory per idle established connection, ${n} connections on one server (PSK for dtls-kit, DTLS 1.2 unless the row says 1.3; heap and RSS growth after GC ÷ connections; clients in ${Math.ceil(n / 2500)} separate process(es))`,
      memory: n,
      unit: 'bytes/connection',
      rows: labels.map((label) => ({ label, server: memoryServers[label](n), hold: (port, count) => memoryClients[label](port, count) })),
      baselines: ['werift-dtls (ECDHE-ECDSA)'].filter((b) => labels.includes(b)),
    });
  }
  // 100,000 idle connections on one server (one process, one UDP socket), opt-in: it takes a few
  // minutes. 10 client processes of 10,000 connections (each within `ulimit -n`), each from its own
  // loopback address (127.0.0.10 ...): one address has only the ~28,000 ports of
  // ip_local_port_range, and each DTLS connection is its own 5-tuple.
  const big = N.memBig;
  measurements.push({
    id: `memory-${big.connections}`,
    optIn: true,
    title: `Memory per idle established connection, ${big.connections} connections on one server (PSK; heap and RSS growth after GC ÷ connections; clients in ${big.processes} separate processes, one loopback address each)`,
    memory: big.connections,
    perProcess: Math.ceil(big.connections / big.processes),
    seconds: big.seconds,
    unit: 'bytes/connection',
    rows: [
      {
        label: 'dtls-kit non-blocking, node:crypto',
        server: memoryServers['dtls-kit non-blocking, node:crypto'](big.connections),
        hold: (port, n, i) => memoryClients['dtls-kit non-blocking, node:crypto'](port, n, big.seconds, ['--local-address', `127.0.0.${10 + i}`]),
      },
    ],
    baselines: [],
  });
  return measurements;
}

/** One run of one row: the server, its clients, their RESULT lines (every process stopped after). */
export async function runRow(m, r, N) {
  return m.memory ? runMemory(m, r, N) : runMessages(m, r);
}

async function runMessages(m, r) {
  const server = start(...r.server);
  try {
    const port = Number(await server.line('READY', 20_000));
    const [w, n, warm, s] = r.workload ?? m.workload;
    if (m.warmSeconds !== undefined) {
      // A warm-up run of the same clients (no warm-up of their own), for every row alike.
      const warmers = Array.from({ length: r.clientsCount }, () => start(...r.client(port, w, n, 0, m.warmSeconds)));
      try {
        await Promise.all(warmers.map((p) => result(p, (2 * m.warmSeconds + 30) * 1000)));
      } finally {
        await Promise.all(warmers.map((p) => p.stop()));
      }
    }
    const procs = Array.from({ length: r.clientsCount }, () => start(...r.client(port, w, n, warm, s)));
    try {
      const deadline = (2 * s + 30) * 1000;
      return await Promise.all(procs.map((p) => result(p, deadline)));
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  } finally {
    await server.stop();
  }
}

async function runMemory(m, r, N) {
  const n = m.memory;
  const server = start(...r.server);
  const holders = [];
  try {
    const port = Number(await server.line('READY', 20_000));
    const per = m.perProcess ?? Math.ceil(n / Math.ceil(n / 2500));
    for (let left = n; left > 0; left -= per) holders.push(start(...r.hold(port, Math.min(per, left), holders.length)));
    const memory = await result(server, ((m.seconds ?? N.memSec) + 30) * 1000);
    return [memory];
  } finally {
    await Promise.all(holders.map((p) => p.stop()));
    await server.stop();
  }
}

