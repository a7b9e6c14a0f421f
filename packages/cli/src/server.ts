import { loadSecretsFileSync, secretsLoadInfo } from '@dtls-kit/core/internal';
import { secretsLine, secretsWarningLine, withSecretsFile } from './secrets-report.js';
import { resumedNote } from './session-files.js';
import { srtpReport } from './srtp-report.js';
import { createServer, type DtlsSocket } from '@dtls-kit/nonblocking';
import { describeCertificate } from '@dtls-kit/x509';
import type { ServerArgs } from './args.js';
import { serverOptions } from './credentials.js';
import { echoTooLarge } from './message-limit.js';
import type { Io } from './io.js';
import { peerName } from './peer.js';
import { rawKeyNote } from './raw-key-note.js';
import { runBlockingServer } from './server-blocking.js';
import { overPeerRecordLimit, recordLimitNote } from './record-limit.js';
import { keylogOption, type RunHooks } from './run-hooks.js';

export { peerName };

/** Who the peer is: its PSK identity or its certificate's subject. */
export function peerIdentity(socket: DtlsSocket): string {
  const identity = socket.pskIdentity;
  if (identity !== undefined) return `identity=${JSON.stringify(identity)}`;
  const rawKey = rawKeyNote(socket.getPeerRawPublicKey(), socket.authorized);
  if (rawKey !== undefined) return rawKey;
  const der = socket.getPeerCertificateChain()[0];
  if (der !== undefined) {
    try {
      return `subject=${JSON.stringify(describeCertificate(der).subject)}${socket.authorized ? '' : ' (not authorized)'}`;
    } catch {
      return 'subject=(unreadable certificate)';
    }
  }
  return 'anonymous';
}

/** ` alpn="coap"` when ALPN chose a protocol (RFC 7301), else nothing. */
export function alpnNote(socket: DtlsSocket): string {
  const protocol = socket.alpnProtocol;
  return protocol === false ? '' : ` alpn=${JSON.stringify(protocol)}`;
}

/**
 * `dtls-kit server`: an echo server. Resolves with the exit code once it stopped (SIGINT/SIGTERM,
 * or with --once after the first connection closed). `--runtime blocking`: see server-blocking.ts.
 */
export async function runServer(args: ServerArgs, io: Io, hooks: RunHooks = {}): Promise<number> {
  if (args.runtime === 'blocking') return runBlockingServer(args, io);
  const options = serverOptions(args);
  const server = withSecretsFile(() =>
    createServer({
      ...options,
      keylog: keylogOption(args.keylog, hooks),
      idleTimeoutMs: args.idleTimeoutMs,
      ...(args.secretsFile === undefined ? {} : { secretsFile: args.secretsFile }),
      // --proxy-protocol: behind nginx, the clients' own addresses (PROXY v2 per datagram).
      ...(args.proxyProtocol === undefined ? {} : { proxyProtocol: { from: args.proxyProtocol } }),
    }),
  );
  // --secrets-file: the file's secrets are in force; each rotation of it is followed (and said).
  if (args.secretsFile !== undefined) {
    io.stderr(secretsLine(secretsLoadInfo(args.secretsFile, loadSecretsFileSync(args.secretsFile)), false));
    server.on('secrets', (info) => io.stderr(secretsLine(info, true)));
    server.on('warning', (error) => io.stderr(secretsWarningLine(error)));
  }
  let stopping: Promise<void> | undefined;
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const stop = (code: number): void => {
    stopping ??= server.close().then(() => done(code));
  };

  server.on('connection', (socket) => {
    const who = peerName(socket.remoteAddress, socket.remotePort);
    io.stderr(`connection ${who} ${socket.getProtocol()} ${socket.getCipher().name} ${peerIdentity(socket)}${alpnNote(socket)}${resumedNote(socket)}${recordLimitNote(socket.recordSizeLimit)}\n`);
    if (args.srtp !== undefined) io.stderr(srtpReport(socket)); // --srtp: as openssl -keymatexport
    let messages = 0;
    // Connection IDs (--cid): the client's address may change (a NAT rebinding); the echo follows it.
    socket.on('remoteAddressChange', (current, previous) => {
      io.stderr(`moved ${peerName(previous.address, previous.port)} -> ${peerName(current.address, current.port)} (connection ${who})\n`);
    });
    // --idle-timeout: a peer that vanished without close_notify; the close line follows.
    socket.on('timeout', () => {
      io.stderr(`idle ${who}: nothing received for ${args.idleTimeoutMs} ms (--idle-timeout); closing\n`);
    });
    socket.on('message', (data) => {
      messages++;
      // The client's MTU may be larger than ours (or its CID in our records longer than ours in its):
      // a reply that cannot fit one of our datagrams is not sent (RFC 6347 4.1.1), and said so.
      if (data.length > socket.maxPayload) {
        // The client's record size limit may be the bound rather than our MTU (RFC 8449, RFC 6066 4).
        const overLimit = overPeerRecordLimit(`not echoed to ${who}: the message`, data.length, socket.maxPayload, socket.recordSizeLimit);
        io.stderr(`${overLimit ?? echoTooLarge(who, data.length, socket.maxPayload, args.mtu, socket.getCipher().name)}\n`);
      } else socket.send(data);
    });
    socket.on('close', () => {
      const error = socket.error;
      io.stderr(`close ${who} after ${messages} message${messages === 1 ? '' : 's'}${error ? `: ${error.message}` : ''}\n`);
      if (args.once) stop(0);
    });
  });
  server.on('clientError', (error, p) => {
    io.stderr(`handshake failed ${peerName(p.address, p.port)}: ${error.message}\n`);
  });
  // The echo listener threw (it cannot today: a reply larger than maxPayload is not sent): the
  // library aborted that connection alone; its close line follows.
  server.on('connectionError', (error, _stage, p) => {
    io.stderr(`handler failed ${peerName(p.address, p.port)}: ${error.message}\n`);
  });
  server.on('error', (error) => {
    io.stderr(`dtls-kit: socket error: ${error.message}\n`);
    stop(1);
  });

  try {
    const address = await server.listen(args.port, args.host);
    io.stderr(`listening on ${peerName(address.address, address.port)}${args.once ? ' (--once)' : ''}\n`);
  } catch (error) {
    io.stderr(`dtls-kit: cannot listen on ${peerName(args.host, args.port)}: ${(error as Error).message}\n`);
    return 1;
  }
  const onSignal = (): void => stop(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
