/**
 * `dtls-kit lb-config`: prints an nginx configuration that puts nginx's UDP load balancer (the
 * `stream` module, Debian's libnginx-mod-stream and libnginx-mod-stream-js) in front of several
 * dtls-kit server processes, with the njs script shipped beside this package (lb/dtls-route.js):
 * a session's first datagram goes to the backend whose server id its connection ID carries
 * (RFC 9146 4), anything else by nginx's consistent hash of the client's address and port, and
 * every datagram to a backend carries a PROXY protocol v2 header with the client's address.
 *
 * Backends are listed in server-id order: `--backends A,B,C` gives A the id 0, B 1, C 2 (each
 * started with `connectionId: { length, serverId: Uint8Array.of(id) }`, `dtls-kit server
 * --server-id N`). Paths in the output are absolute (the script, the modules) or relative to
 * nginx's prefix (`nginx -p DIR -c FILE`: pid and error log), so it runs from any directory.
 */
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from './args.js';
import type { Io } from './io.js';

/** What lbConfig() writes; every field but `backends` and `listen` has a default. */
export interface LbConfigOptions {
  /** host:port of each backend, in server-id order (at most 256: the id is one byte). */
  readonly backends: readonly string[];
  /** Where nginx listens: `:PORT` (every address), `HOST:PORT` or `[V6]:PORT`. */
  readonly listen: string;
  /** The njs script (absolute); default: the one shipped with this package. */
  readonly script?: string;
  /** Debian's module folder; default /usr/lib/nginx/modules. */
  readonly modulesDir?: string;
  /** nginx worker processes; default 'auto' (one per core; `reuseport` keeps a flow on one worker). */
  readonly workers?: number | 'auto';
  /**
   * Seconds an nginx UDP session lives without a datagram. Default 300: the dtls-kit server's
   * idle timeout, so nginx does not forget a session that the server still holds.
   */
  readonly proxyTimeoutSeconds?: number;
  /** Prepend a PROXY v2 header to every datagram (the backends need `proxyProtocol`); default true. */
  readonly proxyProtocol?: boolean;
  /**
   * Server ids of backends known to be dead: marked `down` in the hash upstream, so that new
   * sessions go to the others (open-source nginx has no health checks for UDP upstreams). Each
   * keeps its id and its place: the consistent hash moves only its share of the clients.
   */
  readonly down?: readonly number[];
}

/** The njs script shipped with @dtls-kit/cli (lb/ beside src/ and dist/). */
export function defaultRouteScript(): string {
  return fileURLToPath(new URL('../lb/dtls-route.js', import.meta.url));
}

export const DEFAULT_MODULES_DIR = '/usr/lib/nginx/modules';
export const DEFAULT_PROXY_TIMEOUT_SECONDS = 300;

/** `host:port` or `[v6]:port`, checked; throws UsageError. */
function hostPort(flag: string, text: string, hostRequired: boolean): { host: string | undefined; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new UsageError(`--${flag}: "${text}" is not HOST:PORT (a port 1..65535; IPv6 as [::1]:PORT)`);
  const host = m[1] ?? (m[2] === '' ? undefined : m[2]);
  if (host === undefined && hostRequired) throw new UsageError(`--${flag}: "${text}" has no host`);
  if (host !== undefined && /\s|;|\{|\}/.test(host)) throw new UsageError(`--${flag}: "${text}" is not a host name or address`);
  return { host, port };
}

function nginxAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The nginx configuration text (see the file comment). Throws UsageError for bad options. */
export function lbConfig(options: LbConfigOptions): string {
  const { backends } = options;
  if (backends.length === 0) throw new UsageError('--backends: at least one HOST:PORT');
  // The server id is the CID's first byte (i18n routing contract): 256 ids at most.
  if (backends.length > 256) throw new UsageError(`--backends: at most 256 (the server id is one byte), got ${backends.length}`);
  const servers = backends.map((b) => {
    const { host, port } = hostPort('backends', b, true);
    return nginxAddress(host ?? '', port);
  });
  const listen = hostPort('listen', options.listen, false);
  const listenAt = listen.host === undefined ? String(listen.port) : nginxAddress(listen.host, listen.port);
  const script = options.script ?? defaultRouteScript();
  const modules = options.modulesDir ?? DEFAULT_MODULES_DIR;
  const workers = options.workers ?? 'auto';
  const timeout = options.proxyTimeoutSeconds ?? DEFAULT_PROXY_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`--proxy-timeout must be an integer >= 1 (seconds), got ${timeout}`);
  const proxyProtocol = options.proxyProtocol ?? true;
  const down = new Set(options.down ?? []);
  for (const id of down) {
    if (!Number.isInteger(id) || id < 0 || id >= servers.length) throw new UsageError(`--down: ${id} is not a server id (0..${servers.length - 1})`);
  }
  if (down.size === servers.length) throw new UsageError('--down: every backend is down');
  const lines = [
    `# nginx in front of ${servers.length} dtls-kit server process(es), written by dtls-kit lb-config.`,
    '# Run:  nginx -p DIR -c THIS_FILE   (pid and error log are relative to DIR; add -g "daemon off;" to stay in the foreground)',
    '# Needs Debian\'s nginx, libnginx-mod-stream and libnginx-mod-stream-js (make peers installs them).',
    `load_module ${modules}/ngx_stream_module.so;`,
    `load_module ${modules}/ngx_stream_js_module.so;`,
    `worker_processes ${workers};`,
    'pid nginx.pid;',
    'error_log error.log notice;',
    // Two connections (file descriptors) per UDP session: the client's and the upstream's. More
    // sessions need a higher open-file limit (ulimit -n, or worker_rlimit_nofile as root).
    'events { worker_connections 4096; }',
    '',
    'stream {',
    `    js_import dtls from ${script};`,
    '    # The upstream of a session: set by dtls.preread from its first datagram.',
    '    js_var $dtls_upstream dtls_hash;',
    `    js_var $dtls_backends ${servers.length};`,
    '',
    '    # One upstream per server id (a tls12_cid record whose CID starts with that id goes there).',
    ...servers.map((s, id) => `    upstream dtls_backend_${id} { server ${s}; }`),
    '',
    '    # Everything else (ClientHellos, records without a CID): a consistent hash of the client\'s address and port.',
    '    upstream dtls_hash {',
    '        hash $remote_addr:$remote_port consistent;',
    ...servers.map((s, id) => `        server ${s}${down.has(id) ? ' down' : ''};`),
    '    }',
    '',
    '    server {',
    // reuseport: with several workers the kernel keeps each client's datagrams on one worker,
    // so a flow is one nginx session.
    `        listen ${listenAt} udp reuseport;`,
    '        js_preread dtls.preread;',
    ...(proxyProtocol ? ['        # The client\'s address for the backends (dtls-kit server: proxyProtocol: { from: [this host] }).', '        js_filter dtls.proxyHeader;'] : []),
    '        proxy_pass $dtls_upstream;',
    // No proxy_responses: a DTLS session answers with any number of datagrams (a flight, records).
    `        proxy_timeout ${timeout}s;`,
    '    }',
    '}',
    '',
  ];
  return lines.join('\n');
}

export const LB_CONFIG_USAGE = `usage: dtls-kit lb-config --backends HOST:PORT,HOST:PORT,... [--listen :4433] [--workers N|auto]
                         [--proxy-timeout SECONDS] [--no-proxy-protocol] [--down ID,...] [--script FILE] [--modules-dir DIR]
  prints an nginx configuration: UDP load balancing over the backends (server ids 0, 1, ... in
  the order given), routed by connection ID, with a PROXY v2 header carrying each client's address;
  --down: server ids of dead backends, left out of the hash (regenerate, then nginx -s reload)
`;

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        backends: { type: 'string' },
        listen: { type: 'string', default: ':4433' },
        workers: { type: 'string' },
        'proxy-timeout': { type: 'string' },
        'no-proxy-protocol': { type: 'boolean', default: false },
        script: { type: 'string' },
        'modules-dir': { type: 'string' },
        down: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    // node:util's messages (an unknown flag, a missing value) are usage errors: exit code 2.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function downIds(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text.split(',').map((t) => {
    if (!/^\d{1,3}$/.test(t.trim())) throw new UsageError(`--down takes server ids (0, 1, ...), got "${t}"`);
    return Number(t.trim());
  });
}

/** `dtls-kit lb-config ...` (the arguments after `lb-config`): exit code 0, or 2 for a usage error. */
export function runLbConfig(argv: readonly string[], io: Io): number {
  const { values } = parseFlags(argv);
  if (values.help) {
    io.stdout(LB_CONFIG_USAGE);
    return 0;
  }
  if (values.backends === undefined) throw new UsageError('lb-config needs --backends HOST:PORT,HOST:PORT,...');
  const workers = values.workers === undefined || values.workers === 'auto' ? 'auto' : Number(values.workers);
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 1 && workers <= 1024)) {
    throw new UsageError(`--workers must be auto or an integer 1..1024, got "${values.workers}"`);
  }
  const timeoutText = values['proxy-timeout'];
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError(`--proxy-timeout must be an integer (seconds), got "${timeoutText}"`);
  const script = values.script ?? defaultRouteScript();
  if (!script.startsWith('/')) throw new UsageError(`--script must be an absolute path (nginx reads it from its own directory), got "${script}"`);
  if (!existsSync(script)) throw new UsageError(`--script: ${script} does not exist`);
  io.stdout(
    lbConfig({
      backends: values.backends.split(',').filter((b) => b.trim() !== ''),
      listen: values.listen,
      script,
      modulesDir: values['modules-dir'],
      workers,
      proxyTimeoutSeconds: timeoutText === undefined ? undefined : Number(timeoutText),
      proxyProtocol: !values['no-proxy-protocol'],
      down: downIds(values.down),
    }),
  );
  return 0;
}
