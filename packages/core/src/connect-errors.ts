/**
 * Why a client could not reach a DTLS server at all. These are not DtlsErrors: no alert was
 * sent or received (TLS has no alert for "nobody there"), so they carry node:net's error codes
 * instead, the ones a node:net user already checks (`err.code === 'ECONNREFUSED'`).
 *
 * The engine never raises them (it does no I/O); they live here so that both runtimes
 * (@dtls-kit/nonblocking and @dtls-kit/blocking) throw the very same classes, and re-export them.
 */

/** `address:port` as node:net writes it in its messages (`connect ECONNREFUSED ::1:4444`). */
function endpoint(address: string, port: number): string {
  return `${address}:${port}`;
}

/**
 * The server's host answered our ClientHello with ICMP port unreachable: nothing listens on that
 * UDP port. The client's socket is connected (connect(2) on UDP), which is what lets the kernel
 * hand the ICMP error to it (RFC 1122 4.1.3.3: UDP passes ICMP errors up to the application).
 *
 * `message`: `connect ECONNREFUSED 127.0.0.1:4444 (no DTLS server: ICMP port unreachable)`, as
 * node:net's `connect ECONNREFUSED 127.0.0.1:4444` plus why. `cause`: node:dgram's system error
 * (`recvmsg ECONNREFUSED`).
 */
export class ConnectionRefusedError extends Error {
  override readonly name = 'ConnectionRefusedError';
  readonly code = 'ECONNREFUSED';
  /** What failed, as on node:net's error. */
  readonly syscall = 'connect';
  /** The server address the datagrams went to (the resolved address, not the host name). */
  readonly address: string;
  readonly port: number;

  constructor(address: string, port: number, cause: unknown) {
    super(`connect ECONNREFUSED ${endpoint(address, port)} (no DTLS server: ICMP port unreachable)`, { cause });
    this.address = address;
    this.port = port;
  }
}

/**
 * Nothing at all came back from the server's address within the handshake deadline: no
 * HelloVerifyRequest, no ServerHello, no alert, no ICMP error. `code` is `ETIMEDOUT`, what
 * connect(2) returns when a TCP connection attempt gets no answer, and what node:net reports for
 * it (`connect ETIMEDOUT host:port`): retry logic that knows node:net treats it the same way.
 *
 * `message`: `no reply from 127.0.0.1:4444 within 30000 ms`. `cause`: the error that ended the
 * handshake (the engine's handshake timeout).
 */
export class NoReplyError extends Error {
  override readonly name = 'NoReplyError';
  readonly code = 'ETIMEDOUT';
  readonly address: string;
  readonly port: number;
  /** The handshake deadline that passed (handshakeTimeoutMs). */
  readonly timeoutMs: number;

  constructor(address: string, port: number, timeoutMs: number, cause: unknown) {
    super(`no reply from ${endpoint(address, port)} within ${timeoutMs} ms`, { cause });
    this.address = address;
    this.port = port;
    this.timeoutMs = timeoutMs;
  }
}
