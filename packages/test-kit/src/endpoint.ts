/**
 * The shape of a sans-I/O connection as the simulator and the UDP driver see it.
 *
 * Declared here rather than imported from @dtls-kit/core so the test kit stays
 * independent of the engine's evolving API: any object with these four methods can be
 * driven (a DtlsConnection, a server adapter, or a toy endpoint in a test).
 */
/** A node's transport address on the simulated network (the shape of core's PeerAddress). */
export interface SimAddress {
  readonly address: string;
  readonly port: number;
}

export interface SimEndpoint {
  /** Feeds one datagram from the peer, at time `now` (ms); `from`: its source address (the simulator always gives it). */
  receive(datagram: Uint8Array, now: number, from?: SimAddress): void;
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
  /**
   * Optional: where the endpoint sends its datagrams (a DtlsConnection's peerAddress). The
   * simulator delivers a datagram only if it is addressed to the receiver's current address (a
   * reply to an address the peer no longer has is lost, as after a NAT rebinding); without it,
   * datagrams go to wherever the peer is.
   */
  readonly peerAddress?: SimAddress | undefined;
}
