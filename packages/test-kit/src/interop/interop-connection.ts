/**
 * The shape of our engine's connection as the interop harness drives it (a DtlsConnection
 * fits it). Declared here rather than imported from @dtls-kit/core, as for the UDP driver and
 * server: core's tests use the test kit, so the test kit cannot depend on core.
 */
import type { ServedConnection } from '../udp-server.js';

/** An event as the harness reads it; DtlsEvent fits it. */
export interface InteropEvent<E> {
  readonly type: string;
  /** With type 'data': one record of application data. */
  readonly data?: Uint8Array;
  /** With type 'close': the error that ended the connection (none after close_notify). */
  readonly error?: E | undefined;
}

/** A connection (either side): events typed with the engine's error `E`, and the suite it negotiated. */
export interface InteropConnection<E> extends ServedConnection {
  pollEvent(): InteropEvent<E> | undefined;
  /** 'established' once the handshake is complete. */
  readonly state: string;
  readonly cipherSuite: { readonly opensslName: string } | undefined;
}

/** A client connection: connect(now) sends the first ClientHello. */
export interface InteropClientConnection<E> extends InteropConnection<E> {
  connect(now: number): void;
}

/** What a list of events looked like, for failure messages: "handshake-complete, data(12), close(clean)". */
export function describeEvents<E extends { readonly message: string }>(events: readonly InteropEvent<E>[]): string {
  const names = events.map((e) => (e.type === 'close' ? `close(${e.error?.message ?? 'clean'})` : e.type === 'data' ? `data(${e.data?.length ?? 0})` : e.type));
  return names.join(', ') || 'none';
}
