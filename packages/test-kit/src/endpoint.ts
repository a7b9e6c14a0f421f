/**
 * The shape of a sans-I/O connection as the simulator and the UDP driver see it.
 *
 * Declared here rather than imported from @dtls-kit/core so the test kit stays
 * independent of the engine's evolving API: any object with these four methods can be
 * driven (a DtlsConnection, a server adapter, or a toy endpoint in a test).
 */
export interface SimEndpoint {
  /** Feeds one datagram from the peer, at time `now` (ms). */
  receive(datagram: Uint8Array, now: number): void;
  /** Takes the datagrams the endpoint wants to send now (the queue is drained). */
  datagramsToSend(): Uint8Array[];
  /** The absolute time (ms, same timebase as `now`) of the next timer, if any. */
  nextTimeout(): number | undefined;
  /** Called once the time returned by nextTimeout() has been reached. */
  handleTimeout(now: number): void;
  /**
   * Optional: set by the driver. An endpoint whose work finishes asynchronously (a PSK
   * looked up in a database, a signature made elsewhere) calls it so the driver
   * collects its datagrams and timer again without waiting for the next packet.
   */
  onWake?: (() => void) | undefined;
}
