import { ACK_CONTENT_TYPE, decodeAck, encodeAck, type RecordNumber } from '../../record/ack.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { RetransmitOptions } from '../common/retransmit-timer.js';
import { AckDisruption } from '../common/ack-disruption.js';
import { AckScheduler, ackEntriesThatFit } from '../common/ack-scheduler.js';
import { AckedFlightTransmitter } from '../common/acked-flight-transmitter.js';
import type { FlightHandshakeMessage } from '../common/flight.js';
import type { FlightState } from '../common/flight-retransmission.js';
import type { HandshakeHost } from '../common/handshake-engine.js';
import type { FragmentDisposition } from '../common/reassembler.js';
import type { AckOutcome } from '../common/sent-flight-ledger.js';
import type { HandshakeFragment } from '../handshake-header.js';

/** RFC 9147 6.1: epoch 2 carries the handshake after the ServerHello; an ACK needs protection (7). */
const HANDSHAKE_EPOCH = 2;
/** RFC 9147 6.1: the application epoch, in which post-handshake messages come. */
const APPLICATION_EPOCH = 3;

/** What our outstanding flight is, for what may acknowledge it (RFC 9147 7.3, 5.8.1). */
type Outstanding = 'none' | 'hello' | 'finished' | 'post-handshake';

/**
 * The DTLS 1.3 client's side of the flight exchange (RFC 9147 5.8, 7): our flights go through
 * the AckedFlightTransmitter (a retransmission carries only what the server has not
 * acknowledged), and the server's handshake records are acknowledged through the AckScheduler.
 *
 * - ClientHello (and the second one after a HelloRetryRequest): answered by the server's next
 *   flight, which acknowledges it implicitly (7.3).
 * - [Certificate, CertificateVerify,] Finished: the last flight; the server answers it with an
 *   ACK only, so we keep it, its timer running, until that ACK or until application data from
 *   the server in epoch 3 shows it has it (5.8.1, 7.1). A post-handshake message from the server
 *   shows the same (RFC 8446 4.6: it comes only after our Finished).
 * - Post-handshake flights (our KeyUpdate): until their ACK (RFC 9147 8).
 * - The server's flight: its records are listed as they are taken; an ACK goes at once on a
 *   disruption (a fragment past a gap), a quarter of the retransmission timeout after the first
 *   record of a flight that stays incomplete, and at once for every post-handshake message
 *   ("MUST be acknowledged", 7.1/8). A complete flight that our next flight answers needs none.
 * - The timer of 5.8.2: the retransmit options' initial value (1 s by default), doubled at each
 *   expiry up to their cap, back to the initial value after a flight that needed no retransmission.
 */
export class ClientFlights13 {
  private readonly transmitter: AckedFlightTransmitter;
  private readonly acks = new AckScheduler();
  private readonly disruption = new AckDisruption();
  private outstanding: Outstanding = 'none';
  private readonly mtu: number;
  /** ACK records we sent and received, for stats and tests. */
  acksSent = 0;
  acksReceived = 0;

  constructor(
    options: { readonly retransmit: RetransmitOptions; readonly mtu: number },
    private readonly host: HandshakeHost,
  ) {
    this.mtu = options.mtu;
    const records = host.records;
    this.transmitter = new AckedFlightTransmitter(options, {
      transmit: (datagrams) => host.transmit(datagrams),
      sealer: {
        seal: (type, payload, epoch) => {
          // RFC 9147 7: the ACK names records by epoch and sequence number: note them as they go out.
          const number = { epoch, sequenceNumber: records.nextWriteSequence(epoch) };
          return { record: records.seal(type, payload, epoch), number };
        },
        recordOverhead: (epoch) => host.recordOverhead(epoch),
      },
      get sendPlaintextLimit(): number {
        return records.sendPlaintextLimit;
      },
    });
  }

  get state(): FlightState {
    return this.transmitter.state;
  }

  get retransmissions(): number {
    return this.transmitter.retransmissions;
  }

  get retransmittedBytes(): number {
    return this.transmitter.retransmittedBytes;
  }

  get retransmittedDatagrams(): number {
    return this.transmitter.retransmittedDatagrams;
  }

  /** Whether our last flight is still kept, unacknowledged (5.8.1). */
  get holdsFlight(): boolean {
    return !this.transmitter.acknowledged;
  }

  /** The next timer: the retransmission's or the ACK's, whichever comes first. */
  get deadline(): number | undefined {
    const a = this.transmitter.deadline;
    const b = this.acks.deadline;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  beginDatagram(): void {
    this.transmitter.beginDatagram();
  }

  /**
   * A flight of ours: the ClientHello(s), the Finished flight (`final`: only an ACK answers it),
   * or a post-handshake message once established. The server's flight it answers needs no ACK
   * of its own any more (7.1: our flight acknowledges it).
   */
  send(messages: readonly FlightHandshakeMessage[], final: boolean, established: boolean, now: number): void {
    // RFC 9147 8: a post-handshake message (a KeyUpdate answering the server's update_requested)
    // acknowledges nothing: the server's KeyUpdate still needs its ACK, so what is owed stays.
    if (!established) this.acks.nextFlight();
    this.outstanding = !final ? 'hello' : established ? 'post-handshake' : 'finished';
    this.transmitter.send(messages, final, now);
  }

  /**
   * One fragment of a server handshake record, as the reassembler took it. New content
   * (accepted, or a duplicate of what is buffered) is listed for the ACK and may be a
   * disruption; a fragment of a message already handled means the server sent its flight again.
   */
  fragment(f: HandshakeFragment, result: FragmentDisposition, record: ReadRecord, nextSeq: number, established: boolean, now: number): void {
    if (result === 'dropped') return; // not buffered: never acknowledged (RFC 9147 7)
    const number: RecordNumber = { epoch: record.epoch, sequenceNumber: record.sequenceNumber };
    if (result === 'old') {
      // Only a record the server's keys authenticate: a plaintext copy costs an off-path sender nothing.
      if (!record.authenticated) return;
      if (!this.transmitter.acknowledged) {
        // RFC 9147 5.8.1 ("read retransmit"): it lost (part of) our flight: what is unacknowledged, again.
        this.transmitter.onPeerRetransmission(now);
      } else {
        // It resends what we have: it lacks our ACK (7.1), which goes again now.
        this.acks.received(number, now, this.transmitter.timeoutMs);
        this.acks.disrupted(now);
      }
      return;
    }
    // New content from the server answers our outstanding flight (7.3): a ServerHello or
    // HelloRetryRequest our ClientHello, a post-handshake message our Finished. Our KeyUpdate
    // needs its own ACK (RFC 9147 8).
    if (this.outstanding === 'hello' || (this.outstanding === 'finished' && record.epoch >= APPLICATION_EPOCH)) {
      this.transmitter.acknowledgeImplicitly();
      this.outstanding = 'none';
    }
    this.acks.received(number, now, this.transmitter.timeoutMs);
    this.disruption.delivered(nextSeq);
    const gap = this.disruption.arrived({ messageSeq: f.messageSeq, fragmentOffset: f.fragmentOffset, length: f.length, fragmentLength: f.body.length });
    // 7.1: post-handshake messages are acknowledged at once; a disruption, at once too.
    if (gap || (established && record.epoch >= APPLICATION_EPOCH)) this.acks.disrupted(now);
  }

  /** After the messages of a datagram were handled: the in-order frontier moves on, and a due ACK goes. */
  afterMessages(nextSeq: number, now: number): void {
    this.disruption.delivered(nextSeq);
    this.sendAckIfDue(now);
  }

  /** RFC 9147 7.3: an ACK record from the server; 'complete' once our whole flight is acknowledged. */
  onAck(record: ReadRecord, now: number): AckOutcome {
    let numbers;
    try {
      numbers = decodeAck(record.payload);
    } catch {
      return 'nothing-new'; // a malformed ACK is dropped like any bad record (RFC 9147 4.5.2)
    }
    this.acksReceived++;
    const outcome = this.transmitter.onAck(numbers, now);
    if (outcome === 'complete') this.outstanding = 'none';
    return outcome;
  }

  /** Application data from the server in its current epoch (3 on): it has our Finished (5.8.1). */
  peerConfirmed(): void {
    if (this.outstanding !== 'finished') return;
    this.transmitter.acknowledgeImplicitly();
    this.outstanding = 'none';
  }

  /** The server chose DTLS 1.2: its answer acknowledges the ClientHello; the 1.2 machinery takes over. */
  abandon(): void {
    this.transmitter.acknowledgeImplicitly();
    this.acks.nextFlight();
    this.outstanding = 'none';
  }

  /** The retransmission timer (5.8.2) and the ACK timer (7.1). */
  onTimer(now: number): void {
    this.transmitter.onTimer(now);
    this.sendAckIfDue(now);
  }

  private sendAckIfDue(now: number): void {
    if (!this.acks.due(now)) return;
    const records = this.host.records;
    // RFC 9147 7: an ACK is protected, in the highest epoch we send in ("SHOULD simply use the
    // highest current sending epoch"), never below the records it names: none before epoch 2.
    if (records.dtls13Records === undefined || records.writeEpoch < HANDSHAKE_EPOCH) {
      this.acks.take();
      return;
    }
    const numbers = this.acks.take(ackEntriesThatFit(this.mtu, this.host.recordOverhead(records.writeEpoch)));
    if (numbers.length === 0) return;
    this.acksSent++;
    this.host.transmit([records.seal(ACK_CONTENT_TYPE, encodeAck(numbers))]);
  }
}
