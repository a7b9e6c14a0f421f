/**
 * The server side of a test network as one SimEndpoint: datagrams go to the stateless
 * ServerEndpoint (HelloVerifyRequest, drop) until it accepts a ClientHello with a valid
 * cookie, then to the accepted DtlsConnection. The peer has one fixed name, as a real
 * server would demultiplex one client's address. Both engine harnesses use it: SimPair on
 * the simulated network, Pair in its in-memory pump (which takes the endpoint's replies as
 * they come, through onReply, to show them to its tap).
 */
import type { SimEndpoint } from '@dtls-kit/test-kit';
import type { DtlsConnection } from '../../src/connection.js';
import type { EndpointResult, ServerEndpoint } from '../../src/endpoint/server-endpoint.js';

export class ServerNode implements SimEndpoint {
  /** The accepted connection, once the endpoint verified a cookie. */
  connection: DtlsConnection | undefined;
  /** What the endpoint decided for each datagram it saw (before acceptance). */
  readonly endpointResults: EndpointResult['type'][] = [];
  onWake: (() => void) | undefined;
  /** Stateless replies waiting for datagramsToSend(). */
  protected readonly replies: Uint8Array[] = [];

  /** `onReply` takes the endpoint's stateless replies; without it they wait in datagramsToSend(). */
  constructor(
    readonly endpoint: ServerEndpoint,
    readonly peer = '192.0.2.1:5684',
    private readonly onReply?: (datagram: Uint8Array) => void,
  ) {}

  receive(datagram: Uint8Array, now: number): void {
    if (this.connection) {
      this.connection.receive(datagram, now);
      return;
    }
    const result = this.endpoint.handle(datagram, this.peer, now);
    this.endpointResults.push(result.type);
    if (result.type === 'reply') {
      if (this.onReply) this.onReply(result.datagram);
      else this.replies.push(result.datagram);
    } else if (result.type === 'accept') {
      this.connection = result.connection;
      this.connection.onWake = () => this.onWake?.();
    }
  }

  datagramsToSend(): Uint8Array[] {
    const out = this.replies.splice(0);
    if (this.connection) out.push(...this.connection.datagramsToSend());
    return out;
  }

  nextTimeout(): number | undefined {
    return this.connection?.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.connection?.handleTimeout(now);
  }
}
