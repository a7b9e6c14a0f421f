import { AlertDescription } from '../alert.js';
import { bytesEqual } from '../bytes.js';
import { DtlsError } from '../errors.js';
import { aeadAdditionalData, explicitAeadNonce, explicitNonceFor, xorAeadNonce } from './aead-nonce.js';
import { isKnownContentType } from './content-type.js';
import { splitRecords } from './datagram.js';
import type { RawRecord } from './datagram.js';
import { assertValidEpochKeys } from './epoch-keys.js';
import type { EpochKeys } from './epoch-keys.js';
import {
  DTLS_1_0_VERSION,
  DTLS_1_2_VERSION,
  MAX_EPOCH,
  MAX_PLAINTEXT_LENGTH,
  MAX_SEQUENCE_NUMBER,
  RECORD_HEADER_LENGTH,
  encodeRecord,
  encodeRecordHeader,
} from './record-header.js';
import type { RecordHeader } from './record-header.js';
import { ReplayWindow } from './replay-window.js';

export interface RecordLayerOptions {
  /** Size of the anti-replay window of each epoch (RFC 6347 4.1.2.6). Default 64. */
  replayWindowSize?: number;
  /** Records of the next epoch held until its keys exist; past the cap the oldest is dropped. Default 32. */
  maxHeldRecords?: number;
  /**
   * Bytes (headers included) of next-epoch records held until its keys exist; past the cap the
   * oldest are dropped, and a record larger than the cap is not held at all. Default 4096.
   */
  maxHeldBytes?: number;
}

/** A record that passed every check (and authenticated, past epoch 0). */
export interface ReadRecord {
  type: number;
  epoch: number;
  sequenceNumber: number;
  payload: Uint8Array;
  /**
   * True when an AEAD tag proved it (it is then in the replay window already); false for a
   * plaintext epoch-0 record, which enters the window only through acceptUnauthenticated().
   */
  authenticated: boolean;
}

/** Counters of what the read side discarded or held (RFC 6347 4.1.2.7: silently, but counted). */
export interface RecordLayerStats {
  /** Malformed framing, unknown version or content type, unknown epoch, oversized, or not held / evicted from the hold. */
  dropped: number;
  /** Seen before or left of the replay window. */
  replayed: number;
  /** Failed AEAD authentication. */
  badMac: number;
  /** Records of the next epoch put on hold (cumulative). */
  held: number;
}

interface WriteEpochState {
  readonly epoch: number;
  /** null in epoch 0 (TLS_NULL_WITH_NULL_NULL: plaintext records). */
  readonly keys: EpochKeys | null;
  nextSequence: number;
}

interface ReadEpochState {
  readonly epoch: number;
  readonly keys: EpochKeys | null;
  readonly window: ReplayWindow;
}

function internalError(message: string): DtlsError {
  return new DtlsError(AlertDescription.internal_error, message);
}

/**
 * The DTLS 1.2 record layer of one connection (RFC 6347 4.1): epochs, 48-bit sequence
 * numbers, AEAD protection (RFC 5288, 6655, 7905), the replay window (4.1.2.6) and silent
 * discard of invalid records (4.1.2.7).
 *
 * Each direction keeps its current epoch and the one before it: the write side so the
 * engine can retransmit a flight that began in the earlier epoch, the read side so a
 * retransmitted flight of the peer is still recognised. Records of the next read epoch are
 * held (capped in count and bytes) until setReadKeys(), since a Finished may overtake its
 * ChangeCipherSpec — but only while the handshake can still need them: stopHolding() ends that
 * for good once no later epoch can become readable (renegotiation is refused).
 */
export class RecordLayer {
  /** ProtocolVersion written in the header of every record we seal (and in its AAD). */
  version: number = DTLS_1_2_VERSION;

  private readonly replayWindowSize: number;
  private readonly maxHeldRecords: number;
  private readonly maxHeldBytes: number;
  private holding = true;
  private heldTotal = 0;
  private readonly counters: RecordLayerStats = { dropped: 0, replayed: 0, badMac: 0, held: 0 };

  private writeCurrent: WriteEpochState = { epoch: 0, keys: null, nextSequence: 0 };
  private writePrevious: WriteEpochState | undefined;
  private readCurrent: ReadEpochState;
  private readPrevious: ReadEpochState | undefined;
  /** Records of epoch readEpoch + 1, fragments copied, in arrival order. */
  private held: RawRecord[] = [];

  constructor(options: RecordLayerOptions = {}) {
    const maxHeld = options.maxHeldRecords ?? 32;
    if (!Number.isInteger(maxHeld) || maxHeld < 0) {
      throw new RangeError(`maxHeldRecords must be a non-negative integer, got ${maxHeld}`);
    }
    this.maxHeldRecords = maxHeld;
    const maxBytes = options.maxHeldBytes ?? 4096;
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxHeldBytes must be a non-negative integer, got ${maxBytes}`);
    }
    this.maxHeldBytes = maxBytes;
    this.replayWindowSize = options.replayWindowSize ?? 64;
    // Validates the size now rather than at the first epoch change.
    this.readCurrent = { epoch: 0, keys: null, window: new ReplayWindow(this.replayWindowSize) };
  }

  get stats(): Readonly<RecordLayerStats> {
    return this.counters;
  }

  // --- write side ---------------------------------------------------------------------

  get writeEpoch(): number {
    return this.writeCurrent.epoch;
  }

  /** The sequence number the next record sealed in `epoch` will carry. */
  nextWriteSequence(epoch: number = this.writeCurrent.epoch): number {
    return this.writeState(epoch).nextSequence;
  }

  /** Starts the next write epoch with these keys, sequence number 0 (RFC 6347 4.1). */
  setWriteKeys(keys: EpochKeys): void {
    assertValidEpochKeys(keys);
    const epoch = this.writeCurrent.epoch + 1;
    if (epoch > MAX_EPOCH) throw internalError('write epoch would exceed 2^16-1');
    this.writePrevious = this.writeCurrent;
    this.writeCurrent = { epoch, keys, nextSequence: 0 };
  }

  /**
   * Sets the next sequence number of a write epoch. A server answers a ClientHello with its
   * record sequence number (RFC 6347 4.2.1). In an epoch with keys the number may only move
   * forward: reusing one would reuse an AEAD nonce.
   */
  setNextWriteSequence(epoch: number, sequenceNumber: number): void {
    const state = this.writeState(epoch);
    if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > MAX_SEQUENCE_NUMBER) {
      throw internalError(`sequence number out of range: ${sequenceNumber}`);
    }
    if (state.keys !== null && sequenceNumber < state.nextSequence) {
      throw internalError(`sequence number of epoch ${epoch} cannot move back to ${sequenceNumber}`);
    }
    state.nextSequence = sequenceNumber;
  }

  /** Forgets the previous write epoch (once nothing of it will be retransmitted). */
  discardPreviousWriteEpoch(): void {
    this.writePrevious = undefined;
  }

  /**
   * Seals one record: header || payload in epoch 0; header || [explicit nonce] ||
   * ciphertext || tag once keys are set (RFC 6347 4.1, RFC 5246 6.2.3.3). `epoch` defaults to
   * the current write epoch; the previous one may be named to retransmit in it.
   * Throws DtlsError(internal_error) for an epoch we do not hold, a payload over 2^14, or
   * when the epoch's 48-bit sequence numbers are exhausted (they must not wrap, RFC 6347 4.1).
   */
  seal(type: number, payload: Uint8Array, epoch: number = this.writeCurrent.epoch): Uint8Array {
    const state = this.writeState(epoch);
    if (payload.length > MAX_PLAINTEXT_LENGTH) {
      throw internalError(`record payload of ${payload.length} bytes exceeds 2^14`);
    }
    const seq = state.nextSequence;
    if (seq > MAX_SEQUENCE_NUMBER) throw internalError(`sequence numbers of epoch ${epoch} exhausted`);
    state.nextSequence = seq + 1;

    const version = this.version;
    const keys = state.keys;
    if (keys === null) return encodeRecord({ type, version, epoch, sequenceNumber: seq }, payload);

    const aad = aeadAdditionalData(epoch, seq, type, version, payload.length);
    let explicitNonce: Uint8Array | undefined;
    let nonce: Uint8Array;
    if (keys.recordIvLength > 0) {
      explicitNonce = explicitNonceFor(epoch, seq);
      nonce = explicitAeadNonce(keys.fixedIv, explicitNonce);
    } else {
      nonce = xorAeadNonce(keys.fixedIv, epoch, seq);
    }
    const aead = keys.aead;
    // A provider that can seal in place writes into the record itself: one allocation, no copy.
    const sealed = aead.sealInto === undefined ? aead.seal(nonce, payload, aad) : undefined;
    const length = keys.recordIvLength + (sealed?.length ?? payload.length + aead.tagLength);
    const out = new Uint8Array(RECORD_HEADER_LENGTH + length);
    encodeRecordHeader({ type, version, epoch, sequenceNumber: seq, length }, out, 0);
    if (explicitNonce !== undefined) out.set(explicitNonce, RECORD_HEADER_LENGTH);
    if (sealed === undefined) aead.sealInto?.(nonce, payload, aad, out, RECORD_HEADER_LENGTH + keys.recordIvLength);
    else out.set(sealed, RECORD_HEADER_LENGTH + keys.recordIvLength);
    return out;
  }

  private writeState(epoch: number): WriteEpochState {
    if (epoch === this.writeCurrent.epoch) return this.writeCurrent;
    if (this.writePrevious !== undefined && epoch === this.writePrevious.epoch) return this.writePrevious;
    throw internalError(`no write state for epoch ${epoch} (current ${this.writeCurrent.epoch})`);
  }

  // --- read side ----------------------------------------------------------------------

  get readEpoch(): number {
    return this.readCurrent.epoch;
  }

  /** How many records of the next epoch wait for setReadKeys(). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Bytes (headers included) of the records of the next epoch that wait for setReadKeys(). */
  get heldBytes(): number {
    return this.heldTotal;
  }

  /**
   * Holds no more next-epoch records, and drops (and counts) any held: called once no later read
   * epoch can ever become readable, e.g. when the handshake's last read epoch is set and
   * renegotiation is refused (RFC 5746), or when the connection ends. Without it an established
   * connection would hold up to 32 records of an epoch that never becomes readable, for life.
   */
  stopHolding(): void {
    this.holding = false;
    this.counters.dropped += this.held.length;
    this.held = [];
    this.heldTotal = 0;
  }

  /**
   * Every valid record of a datagram, in order. Invalid records are dropped silently and
   * counted (RFC 6347 4.1.2.7); records of the next epoch are held. Never throws.
   */
  open(datagram: Uint8Array): ReadRecord[] {
    const out: ReadRecord[] = [];
    const raws = splitRecords(datagram);
    let consumed = 0;
    for (const raw of raws) {
      consumed += RECORD_HEADER_LENGTH + raw.fragment.length;
      this.openRaw(raw, out);
    }
    // Trailing bytes that do not frame a whole record.
    if (consumed < datagram.length) this.counters.dropped++;
    return out;
  }

  /**
   * Starts the next read epoch with these keys and returns the held records that now
   * authenticate, in arrival order (the others are counted and dropped).
   */
  setReadKeys(keys: EpochKeys): ReadRecord[] {
    assertValidEpochKeys(keys);
    const epoch = this.readCurrent.epoch + 1;
    if (epoch > MAX_EPOCH) throw internalError('read epoch would exceed 2^16-1');
    this.readPrevious = this.readCurrent;
    this.readCurrent = { epoch, keys, window: new ReplayWindow(this.replayWindowSize) };
    const held = this.held;
    this.held = [];
    this.heldTotal = 0;
    const out: ReadRecord[] = [];
    for (const raw of held) {
      const record = this.unprotect(this.readCurrent, raw.header, raw.fragment);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /**
   * Marks a plaintext (unauthenticated) record as seen in its epoch's replay window, once the
   * handshake has taken its content (see unprotect). No-op for an epoch with keys (its records
   * entered the window when they authenticated) or one no longer read.
   */
  acceptUnauthenticated(epoch: number, sequenceNumber: number): void {
    let state: ReadEpochState | undefined;
    if (epoch === this.readCurrent.epoch) state = this.readCurrent;
    else if (this.readPrevious !== undefined && epoch === this.readPrevious.epoch) state = this.readPrevious;
    if (state === undefined || state.keys !== null) return;
    state.window.accept(sequenceNumber);
  }

  /** Stops accepting records of the previous read epoch (RFC 6347 4.1: SHOULD discard them eventually). */
  discardPreviousReadEpoch(): void {
    this.readPrevious = undefined;
  }

  private openRaw(raw: RawRecord, out: ReadRecord[]): void {
    const { header, fragment } = raw;
    if (header.version !== DTLS_1_2_VERSION && header.version !== DTLS_1_0_VERSION) {
      this.counters.dropped++;
      return;
    }
    if (!isKnownContentType(header.type)) {
      this.counters.dropped++;
      return;
    }
    let state: ReadEpochState | undefined;
    if (header.epoch === this.readCurrent.epoch) state = this.readCurrent;
    else if (this.readPrevious !== undefined && header.epoch === this.readPrevious.epoch) state = this.readPrevious;
    if (state === undefined) {
      if (header.epoch === this.readCurrent.epoch + 1) this.hold(header, fragment);
      else this.counters.dropped++;
      return;
    }
    const record = this.unprotect(state, header, fragment);
    if (record !== undefined) out.push(record);
  }

  private hold(header: RecordHeader, fragment: Uint8Array): void {
    const size = RECORD_HEADER_LENGTH + fragment.length;
    if (!this.holding || this.maxHeldRecords === 0 || size > this.maxHeldBytes) {
      this.counters.dropped++;
      return;
    }
    for (const h of this.held) {
      // Only an exact copy is a duplicate: a held record is not authenticated yet, and one that
      // merely shares a sequence number (a forgery) must not get the genuine record dropped as a
      // replay (RFC 6347 4.1.2.6: nothing counts as seen before it authenticates).
      if (h.header.sequenceNumber === header.sequenceNumber && h.header.type === header.type && bytesEqual(h.fragment, fragment)) {
        this.counters.replayed++;
        return;
      }
    }
    // Oldest first out: a genuine record that is still needed is retransmitted with its flight.
    while (this.held.length > 0 && (this.held.length >= this.maxHeldRecords || this.heldTotal + size > this.maxHeldBytes)) {
      const evicted = this.held.shift();
      if (evicted !== undefined) this.heldTotal -= RECORD_HEADER_LENGTH + evicted.fragment.length;
      this.counters.dropped++;
    }
    // Copy: the datagram's buffer may be reused by the runtime before the keys arrive.
    this.held.push({ header, fragment: fragment.slice() });
    this.heldTotal += size;
    this.counters.held++;
  }

  /**
   * Replay check, then authentication and decryption; the window moves only afterwards.
   *
   * RFC 6347 4.1.2.6: the right edge of the window is "the highest validated sequence number",
   * and "the receive window is updated only if the MAC verification succeeds". A plaintext
   * epoch-0 record has no MAC: nothing validates it but the handshake's use of it. Marking it
   * seen on arrival let one spoofed 14-byte record with sequence number 2^48-1 push every real
   * epoch-0 record left of the window, stalling the handshake until its deadline. So an epoch-0
   * record is returned unmarked (authenticated: false) and enters the window only when the
   * handshake has taken its content (acceptUnauthenticated): a message it helped complete was
   * handled, or it repeats the message our last flight answered byte for byte.
   */
  private unprotect(state: ReadEpochState, header: RecordHeader, fragment: Uint8Array): ReadRecord | undefined {
    const { type, epoch, sequenceNumber, version } = header;
    if (!state.window.check(sequenceNumber)) {
      this.counters.replayed++;
      return undefined;
    }
    const keys = state.keys;
    if (keys === null) {
      // RFC 5246 6.2.1: DTLSPlaintext.length MUST NOT exceed 2^14.
      if (fragment.length > MAX_PLAINTEXT_LENGTH) {
        this.counters.dropped++;
        return undefined;
      }
      return { type, epoch, sequenceNumber, payload: fragment.slice(), authenticated: false };
    }
    const ivLength = keys.recordIvLength;
    const plaintextLength = fragment.length - ivLength - keys.aead.tagLength;
    if (plaintextLength < 0 || plaintextLength > MAX_PLAINTEXT_LENGTH) {
      this.counters.dropped++;
      return undefined;
    }
    const nonce =
      ivLength > 0 ? explicitAeadNonce(keys.fixedIv, fragment.subarray(0, ivLength)) : xorAeadNonce(keys.fixedIv, epoch, sequenceNumber);
    const aad = aeadAdditionalData(epoch, sequenceNumber, type, version, plaintextLength);
    let payload: Uint8Array | null;
    try {
      payload = keys.aead.open(nonce, fragment.subarray(ivLength), aad);
    } catch {
      // The Aead contract says open() never throws; a provider that does still must not crash us.
      payload = null;
    }
    if (payload === null) {
      this.counters.badMac++;
      return undefined;
    }
    state.window.accept(sequenceNumber);
    return { type, epoch, sequenceNumber, payload, authenticated: true };
  }
}
