/**
 * `dtls-kit server --runtime blocking`: the echo server on @dtls-kit/blocking. Each connection
 * runs dist/blocking-echo-handler.js in a worker thread; certificates come from
 * dist/blocking-credentials.js, which reads the PEM files in the worker.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBlockingServer, type PlainServerOptions, type RefusalReason, type ServerCredentials } from '@dtls-kit/blocking';
import { loadSecretsFileSync, secretsLoadInfo } from '@dtls-kit/core/internal';
import type { ServerArgs } from './args.js';
import { secretsLine, secretsWarningLine, withSecretsFile } from './secrets-report.js';
import type { BlockingCredentialArgs } from './blocking-credentials.js';
import type { EchoHandlerArgs, EchoReport } from './blocking-echo-handler.js';
import { serverOptions } from './credentials.js';
import { echoTooLarge } from './message-limit.js';
import type { Io } from './io.js';
import { peerName } from './peer.js';
import { versionOptions } from './version-flags.js';

/** The stderr line's reason for each refusal of the blocking server (see RefusalReason). */
const REFUSALS: Record<RefusalReason, string> = {
  full: 'every worker busy and the queue full (internal_error alert)',
  maxConnectionsPerAddress: 'too many connections from this address (internal_error alert)',
  maxHandshakesPerAddress: 'too many handshakes in progress from this address (no answer: its retransmission tries again)',
};

/** A file built next to dist/cli.js (the ESM and CJS builds alike; dist/ when run from the sources). */
export function distFile(name: string): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, name), join(here, '..', 'dist', name)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found next to ${here} (build @dtls-kit/cli first)`);
}

function credentialsOf(args: ServerArgs): ServerCredentials {
  const psk = args.psk === undefined ? undefined : { keys: { [args.pskIdentity]: args.psk }, ...(args.pskHint === undefined ? {} : { pskIdentityHint: args.pskHint }) };
  if ((args.cert === undefined && !args.rpk) || args.key === undefined) {
    if (psk === undefined) throw new Error('no credentials');
    return { psk };
  }
  const moduleArgs: BlockingCredentialArgs = {
    cert: args.cert,
    key: args.key,
    ...(args.passphrase === undefined ? {} : { passphrase: args.passphrase }),
    ca: args.ca,
    verify: args.verify,
    psk,
    rpk: args.rpk,
    rpkPin: args.rpkPin,
  };
  return { module: distFile('blocking-credentials.js'), args: moduleArgs };
}

export async function runBlockingServer(args: ServerArgs, io: Io): Promise<number> {
  // Checks the flags, reads and validates the files here, so that mistakes are usage errors (exit 2)
  // rather than handshake failures in a worker.
  serverOptions(args);
  const options: PlainServerOptions = {};
  if (args.cipher !== undefined) options.cipherSuites = args.cipher;
  if (!args.encryptThenMac) options.encryptThenMac = false; // --no-etm (RFC 7366)
  if (args.requireEncryptThenMac) options.requireEncryptThenMac = true; // --require-etm
  if (args.alpn !== undefined) options.ALPNProtocols = args.alpn;
  if (args.srtp !== undefined) options.srtpProfiles = args.srtp;
  if (args.mtu !== undefined) options.mtu = args.mtu;
  if (args.cid !== undefined) options.connectionId = { length: args.cid, ...(args.serverId === undefined ? {} : { serverId: Uint8Array.of(args.serverId) }) };
  if (args.noTicket) options.sessionTickets = false;
  if (args.recordSize !== undefined) options.recordSizeLimit = args.recordSize;
  // --dtls1_3 / --dtls1_2: the one version accepted (the main thread's cookie check reads it too).
  Object.assign(options, versionOptions(args.version));
  const channelName = `dtls-kit-cli-${randomUUID()}`;
  const handlerArgs: EchoHandlerArgs = { channel: channelName, srtp: args.srtp !== undefined };
  const server = withSecretsFile(() =>
    createBlockingServer({
      handler: distFile('blocking-echo-handler.js'),
      credentials: credentialsOf(args),
      ...options,
      // --idle-timeout: a connection's idle time, as with the non-blocking runtime.
      idleTimeoutMs: args.idleTimeoutMs,
      args: handlerArgs,
      ...(args.threads === undefined ? {} : { maxThreads: args.threads }),
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

  // The handler reports each connection (cipher, identity) and its end from its worker.
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (event) => {
    const report = (event as { data: EchoReport }).data;
    const who = peerName(report.address, report.port);
    if (report.type === 'connection') {
      io.stderr(`connection ${who} ${report.protocol} ${report.cipher} ${report.identity}${report.reused ? ' resumed' : ''}\n`);
      if (report.srtp !== undefined) io.stderr(report.srtp); // --srtp: as openssl -keymatexport
    } else if (report.type === 'idle') {
      // --idle-timeout: a peer that vanished without close_notify; the close line follows.
      io.stderr(`idle ${who}: nothing received for ${args.idleTimeoutMs} ms (--idle-timeout); closing\n`);
    } else if (report.type === 'not-echoed') {
      io.stderr(`${echoTooLarge(who, report.size, report.maxPayload, args.mtu, report.cipher)}\n`);
    } else {
      const n = report.messages;
      io.stderr(`close ${who} after ${n} message${n === 1 ? '' : 's'}${report.error ? `: ${report.error}` : ''}\n`);
      if (args.once) stop(0);
    }
  };
  server.on('refused', (p, reason) => {
    io.stderr(`refused ${peerName(p.address, p.port)}: ${REFUSALS[reason]}\n`);
  });
  server.on('evicted', (p, reason, details) => {
    const by = details.by === undefined ? 'the next queued connection' : peerName(details.by.address, details.by.port);
    io.stderr(`evicted ${peerName(p.address, p.port)}: its handshake stalled for ${Math.round(details.stalledMs)} ms; its place went to ${by} (${reason})\n`);
  });
  // Connection IDs (--cid): a client's address may change (a NAT rebinding); the server follows it.
  server.on('remoteAddressChange', (current, previous) => {
    io.stderr(`moved ${peerName(previous.address, previous.port)} -> ${peerName(current.address, current.port)}\n`);
  });
  server.on('connectionError', (error, stage, p) => {
    // Handler errors are reported by the handler's own close line.
    if (stage !== 'handler') io.stderr(`handshake failed ${peerName(p.address, p.port)}: ${error.message}\n`);
  });
  server.on('socketError', (error: Error) => {
    io.stderr(`dtls-kit: socket error: ${error.message}\n`);
    stop(1);
  });

  try {
    const address = await server.listen(args.port, args.host);
    io.stderr(`listening on ${peerName(address.address, address.port)} (--runtime blocking)${args.once ? ' (--once)' : ''}\n`);
  } catch (error) {
    channel.close();
    await server.close().catch(() => undefined);
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
    channel.close();
  }
}
