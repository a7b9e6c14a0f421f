import { bytesEqual, toHex } from '../bytes.js';
import { ContentType } from '../record/content-type.js';
import { C_BIT } from '../record/unified-header.js';
import { peekClientHello } from './client-hello-peek.js';
import { peerKey, type PeerAddress } from './peer-address.js';

/** Where the CID starts in a tls12_cid record: after type, version, epoch and sequence_number (RFC 9146 4). */
const CID_OFFSET = 11;

/**
 * Where the CID of a datagram's first record starts, if that record carries one: a tls12_cid
 * record after type, version, epoch and sequence_number (RFC 9146 4); a DTLS 1.3 unified header
 * (001CSLEE) with the C bit right after its first byte (RFC 9147 4). Either way the CID's length is
 * not on the wire: the receiver knows the lengths of its own CIDs.
 */
function connectionIdOffset(first: number): number | undefined {
  if (first === ContentType.tls12_cid) return CID_OFFSET;
  if ((first & 0xe0) === 0x20 && (first & C_BIT) !== 0) return 1;
  return undefined;
}

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
 * A connection is named by its peer's transport address (peerKey) and, once bound, by the CID its
 * peer writes in tls12_cid records (RFC 9146): a datagram that starts with such a record is looked
 * up by that CID before its source address, so that a peer whose NAT rebinds keeps its connection;
 * route() is the one place that decides, so runtimes never parse a record to route.
 * `T` is whatever the runtime keeps per connection (a socket, a worker's link).
 */
export class ConnectionTable<T> {
  private readonly byAddress = new Map<string, T>();
  /**
   * The address route() found a connection at last, and that connection: a server's datagrams
   * come in runs from one peer, and a match here spares building the address's key (a string)
   * and hashing it for every datagram. Forgotten whenever an address changes hands.
   */
  private lastAddress: string | undefined;
  private lastPort = -1;
  private lastConnection: T | undefined;
  /** Connections by the CID their peer puts in tls12_cid records (hex), RFC 9146 3. */
  private readonly byConnectionId = new Map<string, T>();
  /**
   * How many bound CIDs have each length: a tls12_cid header does not carry the CID's length
   * (RFC 9146 4), so a record is looked up with each length in use (one, for one server config).
   */
  private readonly connectionIdLengths = new Map<number, number>();

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
    this.forgetLast();
    this.byAddress.set(peerKey(from), connection);
  }

  /**
   * Routes tls12_cid records that carry `cid` to `connection`, from any address (RFC 9146 6):
   * call it once the handshake negotiated a non-empty receive CID (DtlsConnection.connectionId).
   * A CID is one connection's: one that another connection holds is not taken from it (false),
   * so that a colliding CID never redirects an existing connection's records; the new connection
   * is then reached by its address only.
   */
  bindConnectionId(cid: Uint8Array, connection: T): boolean {
    if (cid.length === 0) return false; // no CID records come to us (RFC 9146 3)
    const key = toHex(cid);
    const holder = this.byConnectionId.get(key);
    if (holder !== undefined) return holder === connection;
    this.connectionIdLengths.set(cid.length, (this.connectionIdLengths.get(cid.length) ?? 0) + 1);
    this.byConnectionId.set(key, connection);
    return true;
  }

  /** Forgets the CID of `connection`, unless another connection holds it now. */
  unbindConnectionId(cid: Uint8Array, connection: T): boolean {
    const key = toHex(cid);
    if (this.byConnectionId.get(key) !== connection) return false;
    this.byConnectionId.delete(key);
    const left = (this.connectionIdLengths.get(cid.length) ?? 1) - 1;
    if (left > 0) this.connectionIdLengths.set(cid.length, left);
    else this.connectionIdLengths.delete(cid.length);
    return true;
  }

  /** The connection a tls12_cid or DTLS 1.3 CID record at the start of `datagram` names by its CID, if any. */
  private byCid(datagram: Uint8Array): T | undefined {
    const offset = connectionIdOffset(datagram[0] ?? 0);
    if (offset === undefined) return undefined;
    for (const length of this.connectionIdLengths.keys()) {
      if (datagram.length < offset + length) continue;
      const found = this.byConnectionId.get(toHex(datagram.subarray(offset, offset + length)));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Forgets `connection` at `from`, unless another connection has taken that address since. */
  remove(from: PeerAddress, connection: T): boolean {
    const key = peerKey(from);
    if (this.byAddress.get(key) !== connection) return false;
    this.forgetLast();
    return this.byAddress.delete(key);
  }

  /** The connection at `from` (byAddress), through the one-entry cache of the last found. */
  private connectionAt(from: PeerAddress): T | undefined {
    if (from.port === this.lastPort && from.address === this.lastAddress) return this.lastConnection;
    const found = this.byAddress.get(peerKey(from));
    if (found !== undefined) {
      this.lastAddress = from.address;
      this.lastPort = from.port;
      this.lastConnection = found;
    }
    return found;
  }

  private forgetLast(): void {
    this.lastAddress = undefined;
    this.lastPort = -1;
    this.lastConnection = undefined;
  }

  /** Decides where a datagram from `from` goes. Never throws. */
  route(datagram: Uint8Array, from: PeerAddress): Route<T> {
    // RFC 9146 6: a record with a CID reaches its connection whatever its source address; whether
    // that address becomes the peer's is the connection's decision (it must authenticate first).
    const named = this.byCid(datagram);
    if (named !== undefined) return { type: 'connection', connection: named };
    const existing = this.connectionAt(from);
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
