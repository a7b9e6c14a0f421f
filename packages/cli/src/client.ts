import { srtpReport } from './srtp-report.js';
import { connect, ConnectionRefusedError, DtlsError, HandshakeTimeoutError, NoReplyError, type EstablishedDtlsSocket } from '@dtls-kit/nonblocking';
import { messageTooLarge, type ClientArgs } from './args.js';
import { clientOptions } from './credentials.js';
import type { Io } from './io.js';
import { alpnNote, peerIdentity, peerName } from './server.js';
import { readSessionFile, RECONNECTS, resumedNote, writeSessionFile } from './session-files.js';
import { nextSession } from './session-ticket-wait.js';
import { overPeerRecordLimit, recordLimitNote } from './record-limit.js';
import { keylogOption, type RunHooks } from './run-hooks.js';

/**
 * A line naming what went wrong and the alert, e.g. `... [alert unknown_psk_identity from the server]`.
 * A handshake deadline is not an alert: TLS 1.2 has none for it, and the engine reports
 * handshake_failure locally and sends nothing (HandshakeTimeoutError), so it is not labelled as one.
 */
export function describeError(error: unknown): string {
  if (error instanceof HandshakeTimeoutError) {
    const prefix = `${error.alertName}: `;
    const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return `${text} (no alert was sent or received)`;
  }
  if (error instanceof DtlsError) {
    return `${error.message} [alert ${error.alertName}${error.fromPeer ? ' from the server' : ''}]`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * How long to wait for a message's reply before sending the next one anyway: messages go one at
 * a time so that an echo comes back as its own datagram (OpenSSL's s_server, fed by a pipe,
 * would otherwise merge several), without stalling on a server that does not answer.
 */
const PACE_MS = 250;

/**
 * `dtls-kit client`: connects, sends each message (--message, or stdin lines) as one datagram,
 * prints every datagram received on its own line, and once as many replies as messages arrived,
 * or --timeout after the input ended, sends close_notify and exits 0 (a note on stderr when
 * replies were missing; a clean close by the server is the same). Exit 1 when nothing listens
 * at the address (ECONNREFUSED, at once), nothing answers within --timeout, the handshake fails or
 * does not finish within --timeout, or the established connection ends with an error (a fatal alert).
 */
export async function runClient(args: ClientArgs, io: Io, hooks: RunHooks = {}): Promise<number> {
  const options = clientOptions(args);
  const target = peerName(args.host, args.port);
  let session: Buffer | undefined;
  if (args.sessIn !== undefined) {
    try {
      session = readSessionFile(args.sessIn);
    } catch (error) {
      io.stderr(`dtls-kit: ${(error as Error).message}\n`);
      return 2;
    }
  }
  // The session to resume the next connection with (--reconnect), written as it comes (--sess-out).
  let sessionWritten = false;
  const keepSession = (s: Buffer): void => {
    session = s;
    if (args.sessOut === undefined) return;
    writeSessionFile(args.sessOut, s);
    sessionWritten = true;
  };
  // DTLS 1.3: the connection's first ticket, which comes after the handshake (RFC 8446 4.6.1).
  let ticket: Promise<Buffer | undefined> | undefined;
  const open = async (): Promise<EstablishedDtlsSocket | undefined> => {
    try {
      const s = await connect({ ...options, session, host: args.host, port: args.port, keylog: keylogOption(args.keylog, hooks), handshakeTimeoutMs: args.timeoutMs });
      io.stderr(`connected to ${target} ${s.getProtocol()} ${s.getCipher().name} ${peerIdentity(s)}${alpnNote(s)}${resumedNote(s)}${recordLimitNote(s.recordSizeLimit)}\n`);
      if (args.srtp !== undefined) io.stderr(srtpReport(s)); // --srtp: as openssl -keymatexport
      // DTLS 1.2: the session is there once connected (the ticket or the session ID, RFC 5077 3.3);
      // DTLS 1.3: each NewSessionTicket after the handshake is one (RFC 8446 4.6.1).
      const current = s.getSession();
      if (current !== undefined) keepSession(current);
      ticket = s.getProtocol() === 'DTLSv1.3' ? nextSession(s, args.timeoutMs) : undefined;
      s.on('session', keepSession);
      return s;
    } catch (error) {
      // No server there (ICMP port unreachable, or silence until --timeout): the reason alone, as
      // node:net says `connect ECONNREFUSED 127.0.0.1:4433`; no handshake took place.
      if (error instanceof ConnectionRefusedError || error instanceof NoReplyError) io.stderr(`dtls-kit: ${error.message}\n`);
      else if (error instanceof TypeError && session !== undefined) io.stderr(`dtls-kit: --sess-in ${args.sessIn}: ${error.message}\n`);
      else io.stderr(`dtls-kit: handshake with ${target} failed: ${describeError(error)}\n`);
      return undefined;
    }
  };
  let opened = await open();
  // openssl s_client -reconnect: drop the connection and make it again with the same session.
  for (let i = 0; args.reconnect && i < RECONNECTS && opened !== undefined; i++) {
    // DTLS 1.3: resume with this connection's ticket, once the server sent it (or --timeout passed).
    if (ticket !== undefined) await ticket;
    await opened.close();
    opened = await open();
  }
  if (opened === undefined) return 1;
  const socket: EstablishedDtlsSocket = opened;

  // The suite is known now, and the server's connection ID our records carry: the socket's
  // maxPayload is the exact limit (the parser could only check against the best suite offered).
  const limit = socket.maxPayload;
  const serverCid = socket.connectionId?.send.length ?? 0;
  const tooLarge = (what: string, text: string): string | undefined => {
    const size = Buffer.byteLength(text);
    const overPeer = overPeerRecordLimit(what, size, limit, socket.recordSizeLimit);
    if (overPeer !== undefined) return overPeer;
    return size > limit ? messageTooLarge(what, size, limit, args.mtu, socket.getCipher().name, serverCid) : undefined;
  };

  const queue: string[] = [];
  let sent = 0;
  let received = 0;
  let inputDone = false;
  let lastSend = 0;
  let paceTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let result: number | undefined;

  const end = (code: number, message?: string): void => {
    if (result !== undefined) return;
    result = code;
    if (args.sessOut !== undefined && !sessionWritten) io.stderr(`dtls-kit: note: the server gave no session to resume (--sess-out ${args.sessOut} not written)\n`);
    if (message) io.stderr(`dtls-kit: ${message}\n`);
    clearTimeout(paceTimer);
    clearTimeout(deadlineTimer);
    void socket.close().then(() => finish(code));
  };
  const startDeadline = (): void => {
    deadlineTimer ??= setTimeout(() => {
      // The handshake succeeded: a missing reply is UDP's business (or the server's), not a failure.
      end(0, `note: --timeout ${args.timeoutMs / 1000} s passed with ${received} of ${sent} replies received${queue.length > 0 ? `, ${queue.length} messages not sent` : ''}; closing`);
    }, args.timeoutMs);
  };
  const pump = (): void => {
    if (result !== undefined) return;
    clearTimeout(paceTimer);
    paceTimer = undefined;
    while (queue.length > 0) {
      const wait = received < sent ? lastSend + PACE_MS - performance.now() : 0;
      if (wait > 0) {
        paceTimer = setTimeout(pump, wait);
        return;
      }
      socket.send(queue.shift() as string);
      sent++;
      lastSend = performance.now();
    }
    if (inputDone && received >= sent) end(0);
  };

  socket.on('message', (data) => {
    received++;
    io.stdout(`${data.toString('utf8')}\n`);
    pump();
  });
  socket.on('close', () => {
    if (result !== undefined) return;
    const error = socket.error;
    if (error) end(1, `connection to ${target} failed: ${describeError(error)}`);
    else if (inputDone && received >= sent && queue.length === 0) end(0);
    else end(0, `note: the server closed the connection after ${received} of ${sent} replies`);
  });

  if (args.messages !== undefined) {
    const error = args.messages.map((m, i) => tooLarge(`--message ${i + 1}`, m)).find((e) => e !== undefined);
    if (error !== undefined) {
      // Nothing but the handshake went out: close_notify, exit 2.
      end(2, error);
      return finished;
    }
    queue.push(...args.messages);
    inputDone = true;
    startDeadline();
    pump();
  } else {
    void (async () => {
      try {
        let n = 0;
        for await (const line of io.stdinLines()) {
          if (result !== undefined) return;
          n++;
          const error = tooLarge(`stdin line ${n}`, line);
          if (error !== undefined) {
            // A usage error, found only now: the lines before it went out.
            end(2, error);
            return;
          }
          queue.push(line);
          pump();
        }
      } catch (error) {
        io.stderr(`dtls-kit: reading stdin: ${(error as Error).message}\n`);
      }
      inputDone = true;
      startDeadline();
      pump();
    })();
  }
  return finished;
}
