import { concatBytes } from '../../bytes.js';
import { ContentType } from '../../record/content-type.js';
import { fragmentMessage } from './fragmenter.js';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_LENGTH } from '../handshake-header.js';
import { MAX_PLAINTEXT_LENGTH } from '../../record/record-header.js';

/**
 * A flight (RFC 6347 4.2.4): the messages one side sends before waiting for the other. It is
 * kept as messages, not bytes, so that a retransmission is fragmented and sealed afresh with
 * new record sequence numbers, each message in the epoch it was first sent in (the
 * ClientKeyExchange of flight 5 stays in epoch 0, its Finished in epoch 1).
 */
export interface FlightHandshakeMessage {
  readonly kind: 'handshake';
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
  readonly epoch: number;
}

export type FlightMessage = FlightHandshakeMessage | { readonly kind: 'change_cipher_spec'; readonly epoch: number };

/** What the flight needs from the record layer. */
export interface FlightSealer {
  seal(type: number, payload: Uint8Array, epoch: number): Uint8Array;
  /**
   * Bytes a record of this epoch adds around its plaintext, its header included (the header,
   * explicit nonce and tag; the epoch's record format decides the header's length).
   */
  recordOverhead(epoch: number): number;
}

const CHANGE_CIPHER_SPEC = new Uint8Array([1]);

/** Records packed into as few datagrams as fit the MTU (RFC 6347 4.1.1: several records per datagram). */
export function packRecords(records: readonly Uint8Array[], mtu: number): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const r of records) {
    if (size > 0 && size + r.length > mtu) {
      datagrams.push(concatBytes(...current));
      current = [];
      size = 0;
    }
    current.push(r);
    size += r.length;
  }
  if (current.length > 0) datagrams.push(concatBytes(...current));
  return datagrams;
}

/**
 * Seals every message of a flight into records no larger than the MTU allows (handshake
 * messages fragmented as RFC 6347 4.2.3 describes) and packs them into datagrams.
 * `maxPlaintext`: the peer's record size limit (RFC 8449 4, RFC 6066 4), when smaller than what the MTU leaves.
 */
export function serializeFlight(messages: readonly FlightMessage[], sealer: FlightSealer, mtu: number, maxPlaintext = MAX_PLAINTEXT_LENGTH): Uint8Array[] {
  const records: Uint8Array[] = [];
  for (const m of messages) {
    if (m.kind === 'change_cipher_spec') {
      records.push(sealer.seal(ContentType.change_cipher_spec, CHANGE_CIPHER_SPEC, m.epoch));
      continue;
    }
    const overhead = sealer.recordOverhead(m.epoch);
    const room = Math.min(mtu - overhead, maxPlaintext) - HANDSHAKE_HEADER_LENGTH;
    if (room < 1) {
      // Only a connection ID the peer asked for (RFC 9146 4) makes a record this heavy at MIN_MTU or above.
      throw new RangeError(
        `mtu ${mtu} leaves no room for a handshake fragment in epoch ${m.epoch}: its records add ${overhead} bytes ` +
          `(a connection ID the peer asked for included) and a fragment header ${HANDSHAKE_HEADER_LENGTH}; raise mtu, or have the peer ask for a shorter connection ID`,
      );
    }
    for (const f of fragmentMessage(m.msgType, m.messageSeq, m.body, room)) {
      records.push(sealer.seal(ContentType.handshake, encodeHandshakeFragment(f), m.epoch));
    }
  }
  return packRecords(records, mtu);
}
