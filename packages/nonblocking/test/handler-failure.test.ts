/**
 * Issue 12, point 1: a handler's failure stays with its connection. The README's server runs in a
 * child process of its own (so a crash is a crash, not a test-runner error); misbehaving peers hit
 * it while ten ordinary clients echo throughout; the process must stay up and exit 0 when closed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription, connect, type DtlsSocket } from '../src/index.js';
import { clientPsk, sleep } from './helpers.js';
import { handshakeThenFatalAlert } from './raw-peers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/readme-server.mjs', import.meta.url));

interface ChildServer {
  readonly port: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Null while the process runs. */
  readonly exitCode: () => number | null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

const children: ChildServer[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode() === null) c.kill('SIGKILL');
});

async function startReadmeServer(mode: 'as-written' | 'oversize'): Promise<ChildServer> {
  const child = spawn(process.execPath, [FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let code: number | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? -1;
      resolve({ code: c, signal });
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen:\n${stderr}`)), 10_000);
    child.stdout.on('data', () => {
      const m = /listening (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => reject(new Error(`the server exited:\n${stderr}`)));
  });
  const server: ChildServer = { port, stdout: () => stdout, stderr: () => stderr, exitCode: () => code, exited, kill: (s) => child.kill(s) };
  children.push(server);
  return server;
}

/** Waits for the next message, or undefined after `ms`. */
async function nextMessage(socket: DtlsSocket, ms: number): Promise<string | undefined> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const [data] = (await once(socket, 'message', { signal: ac.signal })) as [Buffer];
    return data.toString('utf8');
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

interface EchoTally {
  sent: number;
  echoed: number;
  /** The first message that did not come back (or came back wrong), if any. */
  missed: string | undefined;
}

/** `n` clients, each sending a numbered message and waiting for its echo, every ~10 ms, until `done()`. */
async function echoClients(port: number, n: number, done: () => boolean): Promise<{ finished: Promise<EchoTally[]> }> {
  const sockets = await Promise.all(Array.from({ length: n }, () => connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 5000 })));
  const tallies = sockets.map((): EchoTally => ({ sent: 0, echoed: 0, missed: undefined }));
  const finished = Promise.all(
    sockets.map(async (socket, i) => {
      const tally = tallies[i] as EchoTally;
      while (!done()) {
        const text = `client ${i} message ${tally.sent}`;
        const reply = nextMessage(socket, 2000);
        socket.send(text);
        tally.sent++;
        if ((await reply) !== text) {
          tally.missed = text;
          break;
        }
        tally.echoed++;
        await sleep(10);
      }
      await socket.close();
      return tally;
    }),
  );
  return { finished };
}

/** Connects, asks the oversize handler for 100 KB, and resolves with how the connection ended. */
async function askFor100KB(port: number): Promise<{ alert: number | undefined; fromPeer: boolean | undefined } | 'still open'> {
  const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 5000 });
  // Not events.once(): it listens for 'error' too, and rejects with it.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => ({ alert: socket.error?.alert, fromPeer: socket.error?.fromPeer }));
  socket.send('send 100 KB');
  const outcome = await Promise.race([closed, sleep(3000).then(() => 'still open' as const)]);
  if (outcome === 'still open') socket.destroy();
  return outcome;
}

describe("the README's server survives a failing handler (child process)", () => {
  it.each([
    ['as-written', 'a peer sends a fatal alert after its handshake (the for await throws)'],
    ['oversize', 'a peer sends a fatal alert, another makes the handler send 100 000 bytes (RangeError)'],
  ] as const)('%s: %s; 10 clients echo throughout, every echo comes back, the process exits 0 when closed', async (mode, _what) => {
    const server = await startReadmeServer(mode);
    let stop = false;
    const clients = await echoClients(server.port, 10, () => stop);
    await sleep(300); // the ten are echoing

    await handshakeThenFatalAlert(server.port);
    let oversize: Awaited<ReturnType<typeof askFor100KB>> | undefined;
    if (mode === 'oversize') oversize = await askFor100KB(server.port);
    await handshakeThenFatalAlert(server.port); // and once more, after the other failure

    await sleep(1000); // the ten go on echoing
    stop = true;
    const tallies = await clients.finished;
    const sent = tallies.reduce((a, t) => a + t.sent, 0);
    const echoed = tallies.reduce((a, t) => a + t.echoed, 0);
    console.log(`${mode}: 10 clients sent ${sent} messages, ${echoed} echoed; server exit code so far: ${String(server.exitCode())}`);

    expect(server.exitCode(), server.stderr()).toBeNull(); // still up
    for (const t of tallies) {
      expect(t.missed, server.stderr()).toBeUndefined();
      expect(t.echoed).toBe(t.sent);
      expect(t.sent).toBeGreaterThan(10);
    }
    if (mode === 'oversize') {
      // The handler's connection alone was aborted, with internal_error (RFC 5246 7.2.2).
      expect(oversize).toEqual({ alert: AlertDescription.internal_error, fromPeer: true });
    }

    server.kill('SIGTERM'); // the fixture's server.close()
    const exit = await Promise.race([server.exited, sleep(10_000).then(() => ({ code: 'did not exit within 10 s', signal: null }))]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe('');
  });
});
