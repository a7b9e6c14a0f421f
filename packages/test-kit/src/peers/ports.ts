/**
 * UDP port helpers for launching peers: finding a free port and waiting until a peer
 * has bound one.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { sleep } from '../wait.js';

export interface FreeUdpPortOptions {
  /**
   * Also require the port to be free on the IPv4 and IPv6 wildcard addresses, for peers
   * that cannot bind 127.0.0.1 only (gnutls-serv binds 0.0.0.0 and ::). Default false.
   */
  wildcard?: boolean;
}

// Ports handed out by this process: the kernel may return a just-released port again,
// and two launchers in one test file must not race for it.
const handedOut = new Set<number>();

function bindUdp(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, ipv6Only: type === 'udp6' });
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, address, () => resolve(socket));
  });
}

const closeSocket = (socket: Socket): Promise<void> => new Promise((resolve) => socket.close(() => resolve()));

/**
 * A UDP port that was free on 127.0.0.1 (and on the wildcards with `wildcard`) a moment
 * ago. There is an unavoidable race with other processes between this check and the
 * peer's bind; the launchers retry with another port when the peer fails to bind.
 */
export async function freeUdpPort(options: FreeUdpPortOptions = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await bindUdp('udp4', options.wildcard ? '0.0.0.0' : '127.0.0.1', 0);
    if (probe === undefined) continue;
    const port = probe.address().port;
    const held: Socket[] = [probe];
    let ok = !handedOut.has(port);
    if (ok && options.wildcard) {
      const v6 = await bindUdp('udp6', '::', port);
      if (v6 === undefined) ok = false;
      else held.push(v6);
    }
    await Promise.all(held.map(closeSocket));
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freeUdpPort: no free UDP port found after 50 attempts');
}

/** True if /proc/net/udp{,6} lists a socket bound to `port` (Linux only). */
async function isUdpPortBound(port: number): Promise<boolean | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let sawTable = false;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    sawTable = true;
    for (const line of text.split('\n').slice(1)) {
      // "  sl  local_address rem_address   st ..." with local_address "0100007F:5DC2".
      const local = line.trim().split(/\s+/)[1];
      if (local !== undefined && local.endsWith(`:${hexPort}`)) return true;
    }
  }
  return sawTable ? false : undefined;
}

export interface WaitForUdpBindOptions {
  timeoutMs?: number;
  /** Give up early when this returns false (the peer process exited). */
  alive?: () => boolean;
}

/**
 * Waits until something has bound UDP `port`. Needed because `openssl s_server -quiet`
 * prints nothing when it starts listening. Resolves true once bound, false if the peer
 * died or the timeout passed. Without /proc (not Linux) it just waits 500 ms.
 */
export async function waitForUdpBind(port: number, options: WaitForUdpBindOptions = {}): Promise<boolean> {
  const deadline = performance.now() + (options.timeoutMs ?? 5000);
  const alive = options.alive ?? ((): boolean => true);
  for (;;) {
    if (!alive()) return false;
    const bound = await isUdpPortBound(port);
    if (bound === undefined) {
      await sleep(500);
      return alive();
    }
    if (bound) return alive();
    if (performance.now() >= deadline) return false;
    await sleep(10);
  }
}
