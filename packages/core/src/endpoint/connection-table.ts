import { bytesEqual } from '../bytes.js';
import { peekClientHello } from './client-hello-peek.js';
import { peerKey, type PeerAddress } from './peer-address.js';

/**
 * Where a server's datagram goes (the shape of quinn-proto's endpoint: the endpoint, not the
 * runtime, owns the connections by their routing keys and decides).
 */
export type Route<T> =
  /** To this existing connection. */
  | { readonly type: 'connection'; readonly connection: T }
  /**
   * To the stateless cookie check (ServerEndpoint.verify): no connection has this address, or
   * (`replacing`) a restarted client's new ClientHello, RFC 6347 4.2.8, whose old connection is
   * to be replaced only once the new cookie verifies. `clientHello`: whether the datagram starts
   * with an epoch-0 ClientHello (what a runtime refusing new peers counts as a refusal).
   */
  | { readonly type: 'endpoint'; readonly clientHello: boolean; readonly replacing: T | undefined }
  /** Nothing to do: a retransmission of `connection`'s own ClientHello, now that it is established. */
  | { readonly type: 'drop'; readonly reason: string; readonly connection: T };

/**
 * What the table needs to know of a connection to tell a restarted client from a retransmission
 * (RFC 6347 4.2.8). Without it every datagram from a connection's address goes to that connection.
 */
export interface RestartDetection<T> {
  /** The client random of the connection's handshake (DtlsConnection.clientRandom). */
  clientRandom(connection: T): Uint8Array | undefined;
  /** Whether its handshake is over (a ClientHello for it is then stale). */
  established(connection: T): boolean;
}

/**
 * A DTLS server's connections by routing key, and the decision of where each datagram goes.
 * Today a connection is named by its peer's transport address (peerKey). RFC 9146 connection IDs
 * (issue 13 Part 2) add a second key: a tls12_cid record is looked up by the CID it carries before
 * its source address, so that a peer whose NAT rebinds keeps its connection; route() is the one
 * place that decides, so runtimes never parse a record to route.
 * `T` is whatever the runtime keeps per connection (a socket, a worker's link).
 */
export class ConnectionTable<T> {
  private readonly byAddress = new Map<string, T>();

  constructor(private readonly restarts?: RestartDetection<T>) {}

  get size(): number {
    return this.byAddress.size;
  }

  values(): IterableIterator<T> {
    return this.byAddress.values();
  }

  /** The connection of a peer address, if any. */
  get(from: PeerAddress): T | undefined {
    return this.byAddress.get(peerKey(from));
  }

  /** Routes the connection's datagrams from `from` to it (replacing any other there). */
  insert(from: PeerAddress, connection: T): void {
    this.byAddress.set(peerKey(from), connection);
  }

  /** Forgets `connection` at `from`, unless another connection has taken that address since. */
  remove(from: PeerAddress, connection: T): boolean {
    const key = peerKey(from);
    if (this.byAddress.get(key) !== connection) return false;
    return this.byAddress.delete(key);
  }

  /** Decides where a datagram from `from` goes. Never throws. */
  route(datagram: Uint8Array, from: PeerAddress): Route<T> {
    const existing = this.byAddress.get(peerKey(from));
    if (existing === undefined) return { type: 'endpoint', clientHello: peekClientHello(datagram) !== undefined, replacing: undefined };
    if (this.restarts === undefined) return { type: 'connection', connection: existing };
    const hello = peekClientHello(datagram);
    if (hello === undefined) return { type: 'connection', connection: existing };
    // RFC 6347 4.2.8: a new ClientHello (epoch 0, another client random) from the address of a
    // connection is a client that lost its state (restarted, or a NAT reused the port). It goes to
    // the cookie check; the old connection is replaced only once the cookie verifies.
    const known = this.restarts.clientRandom(existing);
    if (hello.random !== undefined && known !== undefined && !bytesEqual(hello.random, known)) {
      return { type: 'endpoint', clientHello: true, replacing: existing };
    }
    // Our own handshake's ClientHello again: the connection's business while it handshakes (it
    // answers a retransmission), stale once it is established.
    if (this.restarts.established(existing)) return { type: 'drop', reason: 'ClientHello of an established connection', connection: existing };
    return { type: 'connection', connection: existing };
  }
}
