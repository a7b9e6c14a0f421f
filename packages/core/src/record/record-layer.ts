import { AlertDescription } from '../alert.js';
import { bytesEqual, viewOf } from '../bytes.js';
import { DtlsError } from '../errors.js';
import { explicitAeadNonce, writeEpochAndSequence, xorAeadNonce } from './aead-nonce.js';
import { ADDITIONAL_DATA_SCRATCH, NONCE_SCRATCH, additionalDataScratch, innerPlaintextScratch } from './aead-scratch.js';
import { cbcRecordExpansion, openCbcRecord, sealCbcRecord } from './cbc-record.js';
import { splitRecords } from './datagram.js';
import type { RawRecord } from './datagram.js';
import { DTLS12_RECORD_FORMAT } from './dtls12-record-format.js';
import { assertValidEpochKeys } from './epoch-keys.js';
import type { RecordKeys } from './epoch-keys.js';
import type { RecordFormat } from './record-format.js';
import { MAX_EPOCH, MAX_PLAINTEXT_LENGTH, MAX_SEQUENCE_NUMBER, RECORD_HEADER_LENGTH } from './record-header.js';
import type { RecordHeader } from './record-header.js';
import { EpochMap } from './epoch-map.js';
import { ReplayWindow, type ReplayWindowState } from './replay-window.js';
import { SEALED_RECORDS } from './record-slab.js';
import { Dtls13RecordLayer } from './dtls13-record-layer.js';
import type { Dtls13RecordLayerOptions } from './dtls13-record-layer.js';
import { dtls13ReadRecords, dtls13RecordStats } from './dtls13-record-mode.js';

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
  /**
   * The format of epoch 0 in both directions: DTLS 1.2's 13-byte DTLSPlaintext header (RFC 6347
   * 4.1; RFC 9146 and RFC 9147 keep it there), writing {254, 253}, unless set otherwise (e.g.
   * dtls12RecordFormat(0xfeff)). Later epochs take the format given with their keys.
   */
  initialFormat?: RecordFormat;
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
  /** Records sealed (every content type, retransmissions included): the records sent. */
  sealed: number;
}

/**
 * The record layer of an established DTLS 1.2 connection as plain data (structured-clone
 * friendly), keys aside: the epoch each way, sequence numbers, replay windows and record formats
 * (by their connection ID, RFC 9146 3), and, while the handshake's last flight is kept, the
 * plaintext epoch 0 it began in (RFC 6347 4.2.4: its ChangeCipherSpec is retransmitted in it).
 * Keys are rebuilt from the session's secrets where the state is taken up (established-snapshot.ts).
 */
export interface EstablishedRecordLayerState {
  readonly sendPlaintextLimit: number;
  readonly stats: RecordLayerStats;
  readonly write: {
    readonly epoch: number;
    readonly nextSequence: number;
    /** The connection ID our records carry (the peer's); empty: none. */
    readonly connectionId: Uint8Array;
    /** Next sequence number of the plaintext epoch before it, while still held. */
    readonly previousNextSequence: number | undefined;
  };
  readonly read: {
    readonly epoch: number;
    readonly window: ReplayWindowState;
    /** The connection ID the peer's records carry (ours); empty: none. */
    readonly connectionId: Uint8Array;
    /** The replay window of the plaintext epoch before it, while still read. */
    readonly previousWindow: ReplayWindowState | undefined;
  };
}

interface WriteEpochState {
  readonly epoch: number;
  /** null in epoch 0 (TLS_NULL_WITH_NULL_NULL: plaintext records). */
  readonly keys: RecordKeys | null;
  readonly format: RecordFormat;
  /** Scratch for the additional data of this epoch's records, exactly its length (shared: see additionalDataScratch). */
  readonly aad: Uint8Array;
  nextSequence: number;
}

interface ReadEpochState {
  readonly epoch: number;
  readonly keys: RecordKeys | null;
  readonly format: RecordFormat;
  readonly aad: Uint8Array;
  readonly window: ReplayWindow;
}

/** The additional-data scratch of exactly the length a format writes (it depends on the format and its CID only). */
function additionalDataScratchFor(format: RecordFormat): Uint8Array {
  const probe: RecordHeader = { type: 0, version: format.version, epoch: 0, sequenceNumber: 0, length: 0 };
  return additionalDataScratch(format.additionalData(probe, 0, ADDITIONAL_DATA_SCRATCH).length);
}

/**
 * The held records of every record layer that holds none: never written to (hold() makes an
 * array of its own), so a connection that never holds a record has no array of its own.
 */
const NONE_HELD: RawRecord[] = [];

/** The read formats of a connection whose every epoch is in DTLS 1.2's format (see updateReadFormats). */
const ONLY_DTLS12_FORMAT: readonly RecordFormat[] = [DTLS12_RECORD_FORMAT];
/**
 * The DTLS 1.2 epochs of every layer that went DTLS 1.3 (enterDtls13): never read nor written
 * again (each method hands on to the 1.3 layer first), so one shared, frozen pair stands in for
 * each connection's own (~300 bytes of an idle DTLS 1.3 connection: two maps, states, a window).
 */
const RETIRED_WRITE_EPOCHS = new EpochMap<WriteEpochState>(Object.freeze({ epoch: 0, keys: null, format: DTLS12_RECORD_FORMAT, aad: ADDITIONAL_DATA_SCRATCH, nextSequence: 0 }));
const RETIRED_READ_EPOCHS = new EpochMap<ReadEpochState>(Object.freeze({ epoch: 0, keys: null, format: DTLS12_RECORD_FORMAT, aad: ADDITIONAL_DATA_SCRATCH, window: new ReplayWindow(1) }));

function internalError(message: string): DtlsError {
  return new DtlsError(AlertDescription.internal_error, message);
}

/**
 * The record layer of one connection (RFC 6347 4.1): epochs, 48-bit sequence numbers, AEAD
 * protection (RFC 5288, 6655, 7905), the replay window (4.1.2.6) and silent discard of invalid
 * records (4.1.2.7). What a record looks like on the wire is its epoch's RecordFormat (DTLS 1.2's
 * 13-byte header unless set otherwise with the epoch's keys).
 *
 * Each direction keeps its epochs in an EpochMap; DTLS 1.2 holds two in each, the current one and
 * the one before it — the write side so the engine can retransmit a flight that began in the
 * earlier epoch, the read side so a retransmitted flight of the peer is still recognised. Records of the next
 * read epoch are held (capped in count and bytes) until setReadKeys(), since a Finished may
 * overtake its ChangeCipherSpec — but only while the handshake can still need them:
 * stopHolding() ends that for good once no later epoch can become readable (renegotiation is
 * refused).
 */
export class RecordLayer {
  private readonly replayWindowSize: number;
  private readonly maxHeldRecords: number;
  private readonly maxHeldBytes: number;
  private holding = true;
  /**
   * The largest payload seal() takes: 2^14 (RFC 5246 6.2.1) unless the peer negotiated a smaller
   * one (record_size_limit, RFC 8449 4; max_fragment_length, RFC 6066 4: record-size-negotiation.ts).
   */
  sendPlaintextLimit = MAX_PLAINTEXT_LENGTH;
  private heldTotal = 0;
  private readonly counters: RecordLayerStats = { dropped: 0, replayed: 0, badMac: 0, held: 0, sealed: 0 };

  /** The epochs of each direction: the current one (almost every record is of it), and the one before it until discarded. */
  private writeEpochs: EpochMap<WriteEpochState>;
  private readEpochs: EpochMap<ReadEpochState>;
  /** The format the next read epoch will use (see expectReadFormat). */
  private nextReadFormat: RecordFormat;
  /** The distinct formats of the next and the current read epochs, newest first: they frame the records of a datagram. */
  private readFormats: readonly RecordFormat[];
  /** Records of a future read epoch, fragments copied, in arrival order (NONE_HELD, shared, when none). */
  private held: RawRecord[] = NONE_HELD;
  /**
   * Once the handshake has chosen DTLS 1.3 (enterDtls13), every record of both directions is
   * the 1.3 layer's (RFC 9147 4): the connection and the flight machinery keep talking to this
   * object, which hands each call on. Undefined for a DTLS 1.2 connection.
   */
  private dtls13: Dtls13RecordLayer | undefined;
  /**
   * While a DTLS 1.3 offer waits for the server's answer (holdUnifiedRecords): the tail of a
   * datagram from the first unified-header record on (RFC 9147 4: the ServerHello often shares its
   * datagram with the epoch-2 flight), handed to the 1.3 layer by enterDtls13. Capped at maxHeldBytes.
   */
  private unifiedTails: Uint8Array[] | undefined;

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
    // Epoch 0 is plaintext in the DTLS 1.2 format (RFC 6347 4.1; RFC 9146 and RFC 9147 keep it).
    const format = options.initialFormat ?? DTLS12_RECORD_FORMAT;
    // Epoch 0 has no AEAD: its records have no additional data.
    this.writeEpochs = new EpochMap<WriteEpochState>({ epoch: 0, keys: null, format, aad: ADDITIONAL_DATA_SCRATCH, nextSequence: 0 });
    // Validates the size now rather than at the first epoch change.
    this.readEpochs = new EpochMap<ReadEpochState>({ epoch: 0, keys: null, format, aad: ADDITIONAL_DATA_SCRATCH, window: new ReplayWindow(this.replayWindowSize) });
    this.nextReadFormat = format;
    this.readFormats = [format];
  }

  get stats(): Readonly<RecordLayerStats> {
    if (this.dtls13 !== undefined) return dtls13RecordStats(this.counters, this.dtls13.stats);
    return this.counters;
  }

  /**
   * Switches this connection's records to DTLS 1.3 (RFC 9147 4), once the version is known (a
   * client: the ServerHello's supported_versions; a server: its choice): epoch 0 stays
   * DTLSPlaintext and its write sequence numbers go on from where they are (RFC 9147 4: the
   * ClientHello's and the ServerHello's records count on in epoch 0), later epochs are the unified
   * header's, keyed through the returned layer (setWriteKeys/setReadKeys with epoch numbers 2, 3,
   * 4...). Held 1.2-format records are dropped. Throws internal_error when called twice or after
   * a 1.2 epoch was keyed.
   */
  enterDtls13(options: Dtls13RecordLayerOptions = {}): Dtls13RecordLayer {
    if (this.dtls13 !== undefined || this.writeEpochs.current.epoch !== 0 || this.readEpochs.current.epoch !== 0) {
      throw internalError('the record layer can switch to DTLS 1.3 only once, in epoch 0');
    }
    const layer = new Dtls13RecordLayer({ replayWindowSize: this.replayWindowSize, maxHeldRecords: this.maxHeldRecords, ...options });
    layer.setNextWriteSequence(0, this.writeEpochs.current.nextSequence);
    this.counters.dropped += this.held.length;
    this.held = NONE_HELD;
    this.heldTotal = 0;
    this.dtls13 = layer;
    this.writeEpochs = RETIRED_WRITE_EPOCHS;
    this.readEpochs = RETIRED_READ_EPOCHS;
    // Protected records that came before the switch: held by the 1.3 layer until their keys exist.
    const tails = this.unifiedTails ?? [];
    this.unifiedTails = undefined;
    for (const tail of tails) layer.open(tail);
    return layer;
  }

  /**
   * A client that offered DTLS 1.3 and awaits the ServerHello: records with a unified header
   * (first byte 001xxxxx, RFC 9147 4.1) cannot be framed by the 1.2 format, so the rest of a
   * datagram from such a record on is kept (copied, at most maxHeldBytes in all) for
   * enterDtls13, instead of being dropped. Ends with enterDtls13 or stopHoldingUnifiedRecords.
   */
  holdUnifiedRecords(): void {
    if (this.dtls13 === undefined) this.unifiedTails ??= [];
  }

  /** The server chose DTLS 1.2: unified-header records are junk again (and any kept are dropped). */
  stopHoldingUnifiedRecords(): void {
    this.counters.dropped += this.unifiedTails?.length ?? 0;
    this.unifiedTails = undefined;
  }

  /** Cuts the datagram at its first unified-header record (walking DTLSPlaintext headers) and keeps that tail. */
  private splitUnifiedTail(datagram: Uint8Array, tails: Uint8Array[]): Uint8Array {
    let at = 0;
    while (at + RECORD_HEADER_LENGTH <= datagram.length) {
      if (((datagram[at] ?? 0) & 0xe0) === 0x20) {
        const kept = tails.reduce((n, t) => n + t.length, 0);
        if (kept + datagram.length - at <= this.maxHeldBytes) tails.push(datagram.slice(at));
        else this.counters.dropped++;
        return datagram.subarray(0, at);
      }
      at += RECORD_HEADER_LENGTH + (((datagram[at + 11] ?? 0) << 8) | (datagram[at + 12] ?? 0));
    }
    return datagram;
  }

  /** The DTLS 1.3 record layer in force after enterDtls13, else undefined. */
  get dtls13Records(): Dtls13RecordLayer | undefined {
    return this.dtls13;
  }

  // --- write side ---------------------------------------------------------------------

  get writeEpoch(): number {
    if (this.dtls13 !== undefined) return this.dtls13.writeEpoch;
    return this.writeEpochs.current.epoch;
  }

  /** The sequence number the next record sealed in `epoch` will carry. */
  nextWriteSequence(epoch?: number): number {
    if (this.dtls13 !== undefined) return this.dtls13.nextWriteSequence(epoch);
    return this.writeState(epoch ?? this.writeEpochs.current.epoch).nextSequence;
  }

  /**
   * Bytes a record of this write epoch adds around its payload: the header, the explicit nonce,
   * the tag and what the inner plaintext adds. A flight leaves this much room in each datagram.
   */
  overhead(epoch?: number): number {
    if (this.dtls13 !== undefined) return this.dtls13.recordOverhead(epoch);
    const { keys, format } = this.writeState(epoch ?? this.writeEpochs.current.epoch);
    if (keys === null) return format.headerLength;
    const expansion = keys.cbc === undefined ? keys.aead.tagLength : cbcRecordExpansion(keys);
    return format.headerLength + keys.recordIvLength + expansion + format.innerPlaintextExpansion;
  }

  /**
   * Starts the next write epoch with these keys and record format, sequence number 0 (RFC 6347
   * 4.1), and forgets the epoch before the current one.
   */
  setWriteKeys(keys: RecordKeys, format: RecordFormat = DTLS12_RECORD_FORMAT): void {
    if (this.dtls13 !== undefined) throw internalError('DTLS 1.2 keys for a DTLS 1.3 record layer');
    assertValidEpochKeys(keys);
    const epoch = this.writeEpochs.current.epoch + 1;
    if (epoch > MAX_EPOCH) throw internalError('write epoch would exceed 2^16-1');
    this.writeEpochs.add({ epoch, keys, format, aad: additionalDataScratchFor(format), nextSequence: 0 });
    this.writeEpochs.forgetBefore(epoch - 1);
  }

  /**
   * Sets the next sequence number of a write epoch. A server answers a ClientHello with its
   * record sequence number (RFC 6347 4.2.1). In an epoch with keys the number may only move
   * forward: reusing one would reuse an AEAD nonce.
   */
  setNextWriteSequence(epoch: number, sequenceNumber: number): void {
    if (this.dtls13 !== undefined) {
      this.dtls13.setNextWriteSequence(epoch, sequenceNumber);
      return;
    }
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
    if (this.dtls13 !== undefined) {
      this.dtls13.forgetWriteEpochsBefore(this.dtls13.writeEpoch);
      return;
    }
    this.writeEpochs.forgetBefore(this.writeEpochs.current.epoch);
  }

  /**
   * Seals one record: header || payload in epoch 0; header || [explicit nonce] ||
   * ciphertext || tag once keys are set (RFC 6347 4.1, RFC 5246 6.2.3.3), the header and the
   * additional data as the epoch's format writes them. `epoch` defaults to the current write
   * epoch; the previous one may be named to retransmit in it.
   * Throws DtlsError(internal_error) for an epoch we do not hold, a payload over 2^14, or
   * when the epoch's 48-bit sequence numbers are exhausted (they must not wrap, RFC 6347 4.1).
   * The record is a view into a slab shared with other records (SEALED_RECORDS), never written
   * again; `payload` is read, never kept or changed.
   */
  seal(type: number, payload: Uint8Array, sealEpoch?: number): Uint8Array {
    if (this.dtls13 !== undefined) {
      if (payload.length > this.sendPlaintextLimit) {
        throw internalError(`record payload of ${payload.length} bytes exceeds the peer's record size limit ${this.sendPlaintextLimit}`);
      }
      return this.dtls13.seal(type, payload, sealEpoch);
    }
    const epoch = sealEpoch ?? this.writeEpochs.current.epoch;
    const state = this.writeState(epoch);
    if (payload.length > MAX_PLAINTEXT_LENGTH) {
      throw internalError(`record payload of ${payload.length} bytes exceeds 2^14`);
    }
    if (payload.length > this.sendPlaintextLimit) {
      throw internalError(`record payload of ${payload.length} bytes exceeds the peer's record size limit ${this.sendPlaintextLimit}`);
    }
    const seq = state.nextSequence;
    if (seq > MAX_SEQUENCE_NUMBER) throw internalError(`sequence numbers of epoch ${epoch} exhausted`);
    this.counters.sealed++;
    state.nextSequence = seq + 1;

    const { keys, format } = state;
    const headerLength = format.headerLength;
    if (keys === null) {
      const out = SEALED_RECORDS.take(headerLength + payload.length);
      format.encodeHeader({ type, version: format.version, epoch, sequenceNumber: seq, length: payload.length }, out, 0);
      out.set(payload, headerLength);
      return out;
    }

    if (keys.cbc !== undefined) {
      // RFC 5246 6.2.3.2 / RFC 7366: a CBC record (its own memory: not the hot path of AEAD records).
      const header: RecordHeader = { type: format.wireType(type), version: format.version, epoch, sequenceNumber: seq, length: 0 };
      return sealCbcRecord(keys, format, header, format.innerPlaintext(type, payload), state.aad);
    }
    // Only a format that wraps the payload (an inner plaintext, RFC 9146 4) builds a plaintext of its own.
    const scratch = format.innerPlaintextExpansion > 0 ? innerPlaintextScratch(payload.length + format.innerPlaintextExpansion) : undefined;
    const plaintext = format.innerPlaintext(type, payload, scratch);
    const aead = keys.aead;
    const ivLength = keys.recordIvLength;
    const header: RecordHeader = {
      type: format.wireType(type),
      version: format.version,
      epoch,
      sequenceNumber: seq,
      length: ivLength + plaintext.length + aead.tagLength,
    };
    // Nonce and additional data in scratch space: both are used up before seal returns.
    const aad = format.additionalData(header, plaintext.length, state.aad);
    let nonce: Uint8Array;
    if (ivLength > 0) {
      // RFC 5288 3: salt || nonce_explicit, and we send epoch || sequence_number as nonce_explicit.
      nonce = NONCE_SCRATCH;
      nonce.set(keys.fixedIv, 0);
      writeEpochAndSequence(epoch, seq, nonce, keys.fixedIv.length);
    } else {
      nonce = xorAeadNonce(keys.fixedIv, epoch, seq, NONCE_SCRATCH);
    }
    // A provider that can seal in place writes into the record itself: no copy of the sealed bytes.
    const sealed = aead.sealInto === undefined ? aead.seal(nonce, plaintext, aad) : undefined;
    if (sealed !== undefined) header.length = ivLength + sealed.length;
    const out = SEALED_RECORDS.take(headerLength + header.length);
    format.encodeHeader(header, out, 0);
    if (ivLength > 0) writeEpochAndSequence(epoch, seq, out, headerLength);
    if (sealed === undefined) aead.sealInto?.(nonce, plaintext, aad, out, headerLength + ivLength);
    else out.set(sealed, headerLength + ivLength);
    // No copy of the application's payload stays behind in the scratch.
    if (scratch !== undefined && plaintext.buffer === scratch.buffer) scratch.fill(0, 0, plaintext.length);
    return out;
  }

  private writeState(epoch: number): WriteEpochState {
    const state = this.writeEpochs.get(epoch);
    if (state === undefined) throw internalError(`no write state for epoch ${epoch} (current ${this.writeEpochs.current.epoch})`);
    return state;
  }

  // --- hand-over --------------------------------------------------------------------

  /**
   * The state of an established connection's record layer (see EstablishedRecordLayerState).
   * Only a DTLS 1.2 layer in its handshake's epoch, with at most the plaintext epoch before it,
   * can be described: TypeError otherwise.
   */
  exportEstablished(): EstablishedRecordLayerState {
    const write = this.writeEpochs.current;
    const read = this.readEpochs.current;
    if (write.keys === null || read.keys === null || write.epoch !== 1 || read.epoch !== 1) {
      throw new TypeError(`only an established DTLS 1.2 record layer can be exported (write epoch ${write.epoch}, read epoch ${read.epoch})`);
    }
    const previousWrite = this.writeEpochs.get(0);
    const previousRead = this.readEpochs.get(0);
    return {
      sendPlaintextLimit: this.sendPlaintextLimit,
      stats: { ...this.counters },
      write: { epoch: write.epoch, nextSequence: write.nextSequence, connectionId: write.format.connectionId.slice(), previousNextSequence: previousWrite?.nextSequence },
      read: { epoch: read.epoch, window: read.window.exportState(), connectionId: read.format.connectionId.slice(), previousWindow: previousRead?.window.exportState() },
    };
  }

  /**
   * Takes up the state exportEstablished() gave, in a layer just made (epoch 0 both ways), with
   * the keys of epoch 1 rebuilt from the session and the formats of `state`'s connection IDs.
   * Sequence numbers continue where they were (an AEAD nonce is never reused), the replay windows
   * keep every record seen (RFC 6347 4.1.2.6), and no record of a later epoch is held.
   */
  restoreEstablished(
    state: EstablishedRecordLayerState,
    write: { readonly keys: RecordKeys; readonly format: RecordFormat },
    read: { readonly keys: RecordKeys; readonly format: RecordFormat },
  ): void {
    if (this.dtls13 !== undefined || this.writeEpochs.current.epoch !== 0 || this.readEpochs.current.epoch !== 0) throw new TypeError('restoreEstablished() needs a new record layer');
    if (state.write.epoch !== 1 || state.read.epoch !== 1) throw new RangeError(`no DTLS 1.2 connection is established in epochs ${state.write.epoch}/${state.read.epoch}`);
    this.setNextWriteSequence(0, state.write.previousNextSequence ?? 0);
    if (state.read.previousWindow !== undefined) this.readEpochs.current.window.importState(state.read.previousWindow);
    this.setWriteKeys(write.keys, write.format);
    this.setNextWriteSequence(1, state.write.nextSequence);
    this.setReadKeys(read.keys, read.format);
    this.readEpochs.current.window.importState(state.read.window);
    if (state.write.previousNextSequence === undefined) this.discardPreviousWriteEpoch();
    if (state.read.previousWindow === undefined) this.discardPreviousReadEpoch();
    this.stopHolding();
    this.sendPlaintextLimit = state.sendPlaintextLimit;
    Object.assign(this.counters, state.stats);
  }

  // --- read side ----------------------------------------------------------------------

  get readEpoch(): number {
    if (this.dtls13 !== undefined) return this.dtls13.readEpoch;
    return this.readEpochs.current.epoch;
  }

  /** How many records of a future epoch wait for setReadKeys(). */
  get heldCount(): number {
    if (this.dtls13 !== undefined) return this.dtls13.heldCount;
    return this.held.length;
  }

  /** Bytes (headers included) of the records of a future epoch that wait for setReadKeys(). */
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
    this.dtls13?.stopHolding();
    this.holding = false;
    this.counters.dropped += this.held.length;
    this.held = NONE_HELD;
    this.heldTotal = 0;
    this.updateReadFormats();
  }

  /**
   * The record format of the next read epoch, once the handshake has negotiated it and before its
   * keys exist (e.g. a connection ID, RFC 9146 3): its records can then be framed and held when
   * they overtake the ChangeCipherSpec, and setReadKeys() uses it unless told otherwise. Until
   * called, the next epoch keeps the current epoch's format.
   */
  expectReadFormat(format: RecordFormat): void {
    this.nextReadFormat = format;
    this.updateReadFormats();
  }

  /**
   * Every valid record of a datagram, in order. Invalid records are dropped silently and
   * counted (RFC 6347 4.1.2.7); records of the next epoch are held. Never throws.
   *
   * `inPlace`: the caller hands the datagram over (a runtime's freshly received datagram that
   * nobody else holds). A provider that can (Aead.openInPlace) then decrypts each record over its
   * own ciphertext, and a record's payload is a view of the datagram: no allocation per record.
   * The datagram's bytes are then changed, and must never be written again by anyone, since the
   * payloads go on to the application. Without it (the default) the datagram is only read.
   */
  open(datagram: Uint8Array, inPlace = false): ReadRecord[] {
    if (this.dtls13 !== undefined) return dtls13ReadRecords(this.dtls13.open(datagram, inPlace));
    if (this.unifiedTails !== undefined) datagram = this.splitUnifiedTail(datagram, this.unifiedTails);
    const out: ReadRecord[] = [];
    const raws = splitRecords(datagram, this.readFormats);
    let consumed = 0;
    for (const raw of raws) {
      consumed += raw.headerLength + raw.fragment.length;
      this.openRaw(raw, out, inPlace);
    }
    // Trailing bytes that do not frame a whole record.
    if (consumed < datagram.length) this.counters.dropped++;
    return out;
  }

  /**
   * Starts the next read epoch with these keys and record format, forgets the epoch before the
   * current one, and returns the held records of the new epoch that now authenticate, in arrival
   * order (the others are counted and dropped).
   */
  setReadKeys(keys: RecordKeys, format: RecordFormat = this.nextReadFormat): ReadRecord[] {
    if (this.dtls13 !== undefined) throw internalError('DTLS 1.2 keys for a DTLS 1.3 record layer');
    assertValidEpochKeys(keys);
    const epoch = this.readEpochs.current.epoch + 1;
    if (epoch > MAX_EPOCH) throw internalError('read epoch would exceed 2^16-1');
    const state: ReadEpochState = { epoch, keys, format, aad: additionalDataScratchFor(format), window: new ReplayWindow(this.replayWindowSize) };
    this.readEpochs.add(state);
    this.readEpochs.forgetBefore(epoch - 1);
    this.nextReadFormat = format;
    this.updateReadFormats();
    const held = this.held;
    this.held = NONE_HELD;
    this.heldTotal = 0;
    const out: ReadRecord[] = [];
    for (const raw of held) {
      // Held in another epoch's format, or for a later epoch: it cannot be read.
      if (raw.header.epoch !== epoch || raw.format !== format) {
        this.counters.dropped++;
        continue;
      }
      // A held record is our copy (see hold): it may be opened in place.
      const record = this.unprotect(state, raw, true);
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
    if (this.dtls13 !== undefined) {
      if (epoch === 0) this.dtls13.acceptUnauthenticated(sequenceNumber);
      return;
    }
    const state = this.readState(epoch);
    if (state === undefined || state.keys !== null) return;
    state.window.accept(sequenceNumber);
  }

  /** Stops accepting records of the previous read epoch (RFC 6347 4.1: SHOULD discard them eventually). */
  discardPreviousReadEpoch(): void {
    if (this.dtls13 !== undefined) {
      this.dtls13.forgetReadEpochsBefore(this.dtls13.readEpoch);
      return;
    }
    this.readEpochs.forgetBefore(this.readEpochs.current.epoch);
    this.updateReadFormats();
  }

  private readState(epoch: number): ReadEpochState | undefined {
    return this.readEpochs.get(epoch);
  }

  private updateReadFormats(): void {
    // Records of the next epoch are framed only while they may be held.
    const formats: RecordFormat[] = this.holding ? [this.nextReadFormat] : [];
    for (const e of this.readEpochs.newestFirst()) if (!formats.includes(e.format)) formats.push(e.format);
    // Kept for the connection's life: an array of exactly its length (push() leaves spare room),
    // and almost always the one format of epoch 0, shared.
    this.readFormats = formats.length === 1 && formats[0] === DTLS12_RECORD_FORMAT ? ONLY_DTLS12_FORMAT : formats.slice();
  }

  private openRaw(raw: RawRecord, out: ReadRecord[], inPlace: boolean): void {
    const header = raw.header;
    if (!raw.format.accepts(header)) {
      this.counters.dropped++;
      return;
    }
    const state = this.readState(header.epoch);
    if (state === undefined) {
      // Only a record in the format its epoch will use can ever be read: no other is held.
      if (header.epoch === this.readEpochs.current.epoch + 1 && raw.format === this.nextReadFormat) this.hold(raw);
      else this.counters.dropped++;
      return;
    }
    // A record is read only in the format of its epoch (e.g. no CID record in an epoch without CIDs).
    if (raw.format !== state.format) {
      this.counters.dropped++;
      return;
    }
    const record = this.unprotect(state, raw, inPlace);
    if (record !== undefined) out.push(record);
  }

  private hold(raw: RawRecord): void {
    const { header, fragment } = raw;
    const size = raw.headerLength + fragment.length;
    if (!this.holding || this.maxHeldRecords === 0 || size > this.maxHeldBytes) {
      this.counters.dropped++;
      return;
    }
    for (const h of this.held) {
      // Only an exact copy is a duplicate: a held record is not authenticated yet, and one that
      // merely shares a sequence number (a forgery) must not get the genuine record dropped as a
      // replay (RFC 6347 4.1.2.6: nothing counts as seen before it authenticates).
      if (
        h.header.sequenceNumber === header.sequenceNumber &&
        h.header.epoch === header.epoch &&
        h.header.type === header.type &&
        h.format === raw.format &&
        bytesEqual(h.fragment, fragment)
      ) {
        this.counters.replayed++;
        return;
      }
    }
    // Oldest first out: a genuine record that is still needed is retransmitted with its flight.
    while (this.held.length > 0 && (this.held.length >= this.maxHeldRecords || this.heldTotal + size > this.maxHeldBytes)) {
      const evicted = this.held.shift();
      if (evicted !== undefined) this.heldTotal -= evicted.headerLength + evicted.fragment.length;
      this.counters.dropped++;
    }
    // Copy: the datagram's buffer may be reused by the runtime before the keys arrive.
    if (this.held === NONE_HELD) this.held = [];
    this.held.push({ ...raw, fragment: fragment.slice() });
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
  private unprotect(state: ReadEpochState, raw: RawRecord, inPlace: boolean): ReadRecord | undefined {
    const { header, fragment } = raw;
    const { epoch, sequenceNumber } = header;
    if (!state.window.check(sequenceNumber)) {
      this.counters.replayed++;
      return undefined;
    }
    const { keys, format } = state;
    if (keys === null) {
      // RFC 5246 6.2.1: DTLSPlaintext.length MUST NOT exceed 2^14.
      if (fragment.length > MAX_PLAINTEXT_LENGTH) {
        this.counters.dropped++;
        return undefined;
      }
      return { type: header.type, epoch, sequenceNumber, payload: fragment.slice(), authenticated: false };
    }
    if (keys.cbc !== undefined) {
      // RFC 5246 6.2.3.2 / RFC 7366; a bad MAC or padding is a bad_record_mac, dropped (RFC 6347 4.1.2.7).
      const opened = openCbcRecord(keys, format, header, fragment, state.aad);
      if (opened === undefined) this.counters.dropped++;
      else if (opened === null) this.counters.badMac++;
      return opened === undefined || opened === null ? undefined : this.accepted(state, header, opened);
    }
    const ivLength = keys.recordIvLength;
    const plaintextLength = fragment.length - ivLength - keys.aead.tagLength;
    if (plaintextLength < 0 || plaintextLength > MAX_PLAINTEXT_LENGTH + format.innerPlaintextExpansion) {
      this.counters.dropped++;
      return undefined;
    }
    // Nonce and additional data in scratch space: both are used up before open returns.
    // RFC 5288 3: salt || nonce_explicit, the explicit part as the record carries it.
    const nonce =
      ivLength > 0
        ? explicitAeadNonce(keys.fixedIv, fragment, NONCE_SCRATCH, ivLength)
        : xorAeadNonce(keys.fixedIv, epoch, sequenceNumber, NONCE_SCRATCH);
    const aad = format.additionalData(header, plaintextLength, state.aad);
    const aead = keys.aead;
    const sealed = viewOf(fragment, ivLength);
    let plaintext: Uint8Array | null;
    try {
      plaintext = inPlace && aead.openInPlace !== undefined ? aead.openInPlace(nonce, sealed, aad) : aead.open(nonce, sealed, aad);
    } catch {
      // The Aead contract says open() never throws; a provider that does still must not crash us.
      plaintext = null;
    }
    if (plaintext === null) {
      this.counters.badMac++;
      return undefined;
    }
    return this.accepted(state, header, plaintext);
  }

  /** An authenticated record's plaintext: into the replay window, then its content out of the format's wrapping. */
  private accepted(state: ReadEpochState, header: RecordHeader, plaintext: Uint8Array): ReadRecord | undefined {
    const { epoch, sequenceNumber } = header;
    const format = state.format;
    state.window.accept(sequenceNumber);
    // A format without an inner plaintext protects the payload as it is (RecordFormat.innerPlaintextExpansion).
    if (format.innerPlaintextExpansion === 0) {
      if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
        this.counters.dropped++;
        return undefined;
      }
      return { type: header.type, epoch, sequenceNumber, payload: plaintext, authenticated: true };
    }
    const inner = format.openInnerPlaintext(header.type, plaintext);
    // RFC 5246 6.2.1: the content itself is at most 2^14 bytes, whatever wraps it.
    if (inner === undefined || inner.payload.length > MAX_PLAINTEXT_LENGTH) {
      this.counters.dropped++;
      return undefined;
    }
    return { type: inner.type, epoch, sequenceNumber, payload: inner.payload, authenticated: true };
  }
}
