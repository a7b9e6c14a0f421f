import { AlertDescription } from '../alert.js';
import { bytesEqual } from '../bytes.js';
import { RECORD_NUMBER_SAMPLE_LENGTH } from '../crypto/record-number-mask.js';
import { DtlsError } from '../errors.js';
import { ACK_CONTENT_TYPE } from './ack.js';
import { DTLS13_AEAD_LIMITS, KeyUsage } from './dtls13-aead-limits.js';
import type { AeadLimits, KeyUsageState } from './dtls13-aead-limits.js';
import type { AeadAlgorithm } from '../crypto/provider.js';
import { dtls13RecordKind } from './dtls13-demultiplex.js';
import type { Dtls13EpochKeys } from './dtls13-epoch-keys.js';
import { dtls13Nonce } from './dtls13-nonce.js';
import { EpochMap } from './epoch-map.js';
import { encodeInnerPlaintext, openInnerPlaintext } from './inner-plaintext.js';
import { ADDITIONAL_DATA_SCRATCH, NONCE_SCRATCH, additionalDataScratch, innerPlaintextScratch } from './aead-scratch.js';
import { SEALED_RECORDS } from './record-slab.js';
import { reconstructEpoch, reconstructSequenceNumber } from './record-number-reconstruction.js';
import {
  DTLS_1_2_VERSION,
  MAX_PLAINTEXT_LENGTH,
  MAX_SEQUENCE_NUMBER,
  RECORD_HEADER_LENGTH,
  decodeRecordHeader,
  encodeRecord,
} from './record-header.js';
import { ReplayWindow } from './replay-window.js';
import { encodeUnifiedHeader, frameUnifiedRecord, unifiedHeaderLength } from './unified-header.js';
import type { FramedUnifiedRecord } from './unified-header.js';

/** RFC 9147 4.1: the content types of DTLSPlaintext records — alert, handshake, ack. */
const PLAINTEXT_TYPES: readonly number[] = [21, 22, ACK_CONTENT_TYPE];
/**
 * RFC 9147 4.1 figure 5: the decrypted content types a DTLS 1.3 record may carry — alert(21),
 * handshake(22), application_data(23), ack(26); heartbeat(24) is listed but we do not implement
 * RFC 6520, so it is as unexpected as any other ("else -> Error").
 */
const PROTECTED_TYPES: readonly number[] = [21, 22, 23, ACK_CONTENT_TYPE];

export interface Dtls13RecordLayerOptions {
  /** Size of the anti-replay window of each epoch (RFC 9147 4.5.1). Default 64. */
  replayWindowSize?: number;
  /**
   * The connection ID we asked the peer to put in the records it sends us (RFC 9147 9); empty or
   * absent when none was negotiated, and then a record with the C bit set is rejected.
   */
  receiveConnectionId?: Uint8Array;
  /** The share of an AEAD limit past which keyUpdateNeeded turns true (RFC 9147 4.5.3). Default 0.75. */
  keyUpdateFraction?: number;
  /** Records a write key protects before keyUpdateNeeded turns true, when sooner than keyUpdateFraction's share. */
  keyUpdateAfterRecords?: number;
  /**
   * RFC 9147 4.5.3: "Implementations MUST set usage limits for AEAD_AES_128_CCM_8 based on an
   * understanding of any additional forgery protections that are used": the number of records
   * failing authentication one CCM_8 key may see. Default 2^7 (Appendix B.3's margin).
   */
  ccm8IntegrityLimit?: number;
  /**
   * Lower limits than RFC 9147 4.5.3's for some AEADs (a deployment that rekeys sooner, or a test);
   * RangeError for a limit above the RFC's (CCM_8's integrity limit is ccm8IntegrityLimit's).
   */
  aeadLimits?: Partial<Record<AeadAlgorithm, Partial<AeadLimits>>>;
  /**
   * How the ChaCha20 record number mask reads its block counter from Ciphertext[0..3] (RFC 9147
   * 4.2.3). 'little-endian' (default) is RFC 8439 2.3's word order, the layout of node:crypto's
   * (OpenSSL's) 16-byte ChaCha20 IV and of @noble/ciphers' counter. 'big-endian' is what wolfSSL
   * 5.5.4 does on little-endian Linux: src/dtls13.c byte-swaps the counter under `#ifdef
   * BIG_ENDIAN`, a macro glibc's <endian.h> defines on every host, so its ChaCha20 records
   * interoperate only with this set (test/interop/wolfssl13-records.test.ts). Both directions.
   */
  chacha20MaskCounter?: 'little-endian' | 'big-endian';
  /**
   * Protected records of an epoch whose keys are not set yet, held until setReadKeys (RFC 9147
   * 4.2.1: "Implementations MAY either buffer or discard such records"): a ServerHello often shares
   * its datagram with the epoch-2 flight behind it, and application data may overtake the
   * Finished. Past the cap the oldest is dropped. Default 32; 0 holds nothing.
   */
  maxHeldRecords?: number;
  /** Bytes of held records at most (see maxHeldRecords); a record larger than this is not held. Default 16384. */
  maxHeldBytes?: number;
}

/** How the records of one write epoch look (RFC 9147 4: the sender chooses). */
export interface Dtls13WriteFormat {
  /** The connection ID the peer asked for (RFC 9147 9), written in every record; none by default. */
  connectionId?: Uint8Array;
  /** 1 or 2 bytes of sequence number (the S bit). Default 2. */
  sequenceNumberLength?: 1 | 2;
  /** Whether the length field is written (the L bit); without it a record must end its datagram. Default true. */
  lengthPresent?: boolean;
}

/** A record that passed every check. */
export interface Dtls13ReadRecord {
  /** The real content type (from DTLSInnerPlaintext once protected). */
  type: number;
  epoch: number;
  /** The full sequence number, reconstructed (RFC 9147 4.2.2). */
  sequenceNumber: number;
  /** The content. A copy for an epoch-0 record; for a protected one, a view of memory of its own. */
  content: Uint8Array;
  /** True when an AEAD tag proved it; false for a DTLSPlaintext epoch-0 record (see acceptUnauthenticated). */
  authenticated: boolean;
}

/** Counters of what the read side discarded (RFC 9147 4.5.2: silently, but counted) and the write side sealed. */
export interface Dtls13RecordStats {
  /** Not a record we can read: bad first byte, truncated, too short to carry a record number sample, wrong CID, plaintext in a later epoch. */
  dropped: number;
  /** No keys for the epoch its bits name (RFC 9147 4.2.2), and not held (or evicted from the hold, or never readable). */
  unknownEpoch: number;
  /** Records put on hold until their epoch's keys exist (cumulative). */
  held: number;
  /** Seen before, or left of the replay window (RFC 9147 4.5.1). */
  replayed: number;
  /** Failed AEAD authentication (RFC 9147 4.5.3 counts these per key). */
  authFailures: number;
  /** Records sealed. */
  sealed: number;
}

interface WriteEpoch {
  readonly epoch: number;
  readonly keys: Dtls13EpochKeys | null;
  /** Changes when the peer's CID for us changes (RFC 9147 9: NewConnectionId, setWriteConnectionId). */
  connectionId: Uint8Array;
  readonly sequenceNumberLength: 1 | 2;
  readonly lengthPresent: boolean;
  readonly usage: KeyUsage | null;
  nextSequence: number;
}

interface ReadEpoch {
  readonly epoch: number;
  readonly keys: Dtls13EpochKeys | null;
  readonly window: ReplayWindow;
  readonly failures: KeyUsage | null;
}

const NO_CID = new Uint8Array(0);

/** Our own copy of a CID (the caller may reuse theirs); the shared NO_CID for an empty one, which nobody can change. */
function ownConnectionId(cid: Uint8Array | undefined): Uint8Array {
  return cid === undefined || cid.length === 0 ? NO_CID : cid.slice();
}

function internalError(message: string): DtlsError {
  return new DtlsError(AlertDescription.internal_error, message);
}

/**
 * The record layer of one DTLS 1.3 connection (RFC 9147 4): DTLSPlaintext records in epoch 0,
 * unified-header DTLSCiphertext records from epoch 2 (handshake) on, each epoch with its own keys
 * and sequence numbers; record number encryption (4.2.3), reconstruction of the epoch and the
 * sequence number (4.2.2), the per-record nonce (RFC 8446 5.3), the header as additional data
 * (RFC 9147 4), DTLSInnerPlaintext, a replay window per epoch (4.5.1), silent discard of invalid
 * records (4.5.2) and the AEAD limits (4.5.3).
 *
 * Epochs are named, not counted: DTLS 1.3 skips epoch 1 without early data (RFC 9147 6.1), so
 * setWriteKeys/setReadKeys take the epoch number, which only grows. Protected records of an epoch
 * whose read keys are not set yet are held, capped, and read when setReadKeys makes them readable.
 *
 * Why not a RecordFormat in the DTLS 1.2 RecordLayer: a unified header cannot be framed into an
 * epoch and a sequence number without the keys (the number is encrypted and reconstructed
 * against the epoch's window, RFC 9147 4.2.2/4.2.3), which RecordFormat.frame, stateless, cannot
 * do; the nonce, the AAD and the limits differ too. EpochMap and ReplayWindow are shared.
 */
export class Dtls13RecordLayer {
  private readonly replayWindowSize: number;
  /** The CID length our records' headers are framed with (RFC 9147 9: the receiver knows it). */
  private receiveConnectionId: Uint8Array;
  /** Every CID the peer may put in its records (the negotiated one, and those NewConnectionId gave it). */
  private receiveConnectionIds: Uint8Array[];
  /** The CID our records of epochs keyed from now on carry, unless their format says otherwise. */
  private writeConnectionId: Uint8Array = NO_CID;
  private readonly keyUpdateFraction: number;
  private readonly keyUpdateAfterRecords: number | undefined;
  private readonly ccm8IntegrityLimit: number;
  private readonly aeadLimits: Partial<Record<AeadAlgorithm, Partial<AeadLimits>>>;
  private readonly chacha20CounterBigEndian: boolean;
  private readonly counters: Dtls13RecordStats = { dropped: 0, unknownEpoch: 0, held: 0, replayed: 0, authFailures: 0, sealed: 0 };
  private readonly maxHeldRecords: number;
  private readonly maxHeldBytes: number;
  /** Held protected records (copies), oldest first. */
  private held: Uint8Array[] = [];
  private heldTotal = 0;
  private holding = true;
  private readonly writeEpochs: EpochMap<WriteEpoch>;
  private readonly readEpochs: EpochMap<ReadEpoch>;

  constructor(options: Dtls13RecordLayerOptions = {}) {
    this.replayWindowSize = options.replayWindowSize ?? 64;
    // NO_CID itself when there is none: an empty array of its own costs an idle connection ~180 bytes.
    this.receiveConnectionId = ownConnectionId(options.receiveConnectionId);
    if (this.receiveConnectionId.length > 255) throw new RangeError('a connection ID is at most 255 bytes');
    this.receiveConnectionIds = this.receiveConnectionId.length > 0 ? [this.receiveConnectionId] : [];
    this.keyUpdateFraction = options.keyUpdateFraction ?? 0.75;
    this.keyUpdateAfterRecords = options.keyUpdateAfterRecords;
    this.ccm8IntegrityLimit = options.ccm8IntegrityLimit ?? DTLS13_AEAD_LIMITS['aes-128-ccm-8'].integrity;
    this.chacha20CounterBigEndian = options.chacha20MaskCounter === 'big-endian';
    this.aeadLimits = { ...options.aeadLimits };
    for (const [algorithm, lower] of Object.entries(this.aeadLimits)) {
      const rfc: AeadLimits | undefined = Object.entries(DTLS13_AEAD_LIMITS).find(([a]) => a === algorithm)?.[1];
      if (rfc === undefined) throw new RangeError(`unknown AEAD in aeadLimits: ${algorithm}`);
      for (const kind of ['confidentiality', 'integrity'] as const) {
        const v = lower?.[kind];
        if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > rfc[kind])) {
          throw new RangeError(`aeadLimits.${algorithm}.${kind} must be an integer in 1..${rfc[kind]} (RFC 9147 4.5.3), got ${v}`);
        }
      }
    }
    this.maxHeldRecords = options.maxHeldRecords ?? 32;
    this.maxHeldBytes = options.maxHeldBytes ?? 16_384;
    if (!Number.isInteger(this.maxHeldRecords) || this.maxHeldRecords < 0) throw new RangeError(`maxHeldRecords must be a non-negative integer, got ${this.maxHeldRecords}`);
    if (!Number.isInteger(this.maxHeldBytes) || this.maxHeldBytes < 0) throw new RangeError(`maxHeldBytes must be a non-negative integer, got ${this.maxHeldBytes}`);
    // Checked now, not at the first epoch change.
    if (!(this.keyUpdateFraction > 0 && this.keyUpdateFraction <= 1)) throw new RangeError(`keyUpdateFraction is in (0, 1], got ${this.keyUpdateFraction}`);
    if (!Number.isInteger(this.ccm8IntegrityLimit) || this.ccm8IntegrityLimit < 1) {
      throw new RangeError(`ccm8IntegrityLimit must be a positive integer, got ${this.ccm8IntegrityLimit}`);
    }
    this.writeEpochs = new EpochMap<WriteEpoch>({ epoch: 0, keys: null, connectionId: NO_CID, sequenceNumberLength: 2, lengthPresent: true, usage: null, nextSequence: 0 });
    this.readEpochs = new EpochMap<ReadEpoch>({ epoch: 0, keys: null, window: new ReplayWindow(this.replayWindowSize), failures: null });
  }

  get stats(): Readonly<Dtls13RecordStats> {
    return this.counters;
  }

  private limitsOf(keys: Dtls13EpochKeys): { confidentiality: KeyUsage; integrity: KeyUsage } {
    const limits = DTLS13_AEAD_LIMITS[keys.algorithm];
    const lower = this.aeadLimits[keys.algorithm];
    const confidentiality = lower?.confidentiality ?? limits.confidentiality;
    const integrity = lower?.integrity ?? (keys.algorithm === 'aes-128-ccm-8' ? this.ccm8IntegrityLimit : limits.integrity);
    return {
      confidentiality: new KeyUsage(confidentiality, this.keyUpdateFraction, this.keyUpdateAfterRecords),
      integrity: new KeyUsage(integrity, this.keyUpdateFraction),
    };
  }

  // --- write side ---------------------------------------------------------------------

  get writeEpoch(): number {
    return this.writeEpochs.current.epoch;
  }

  /** Starts write epoch `epoch` (newer than every one so far) with these keys, sequence number 0. */
  setWriteKeys(epoch: number, keys: Dtls13EpochKeys, format: Dtls13WriteFormat = {}): void {
    if (!Number.isSafeInteger(epoch) || epoch <= this.writeEpochs.current.epoch) {
      throw internalError(`write epoch ${epoch} is not newer than ${this.writeEpochs.current.epoch}`);
    }
    const connectionId = format.connectionId === undefined ? this.writeConnectionId : ownConnectionId(format.connectionId);
    if (connectionId.length > 255) throw internalError('a connection ID is at most 255 bytes');
    this.writeEpochs.add({
      epoch,
      keys,
      connectionId,
      sequenceNumberLength: format.sequenceNumberLength ?? 2,
      lengthPresent: format.lengthPresent ?? true,
      usage: this.limitsOf(keys).confidentiality,
      nextSequence: 0,
    });
  }

  /**
   * The CID the peer asked for (RFC 9147 9: negotiated in the hellos, or one of those it gave in a
   * NewConnectionId): written in the records of every protected epoch from now on, retransmissions
   * included; epoch 0 (DTLSPlaintext) has no CID. Empty: no CID in our records.
   */
  setWriteConnectionId(cid: Uint8Array): void {
    if (cid.length > 255) throw internalError('a connection ID is at most 255 bytes');
    this.writeConnectionId = ownConnectionId(cid);
    for (const e of this.writeEpochs.newestFirst()) if (e.keys !== null) e.connectionId = this.writeConnectionId;
  }

  /** The CID our next protected record carries (empty: none). */
  get sendConnectionId(): Uint8Array {
    return this.writeConnectionId;
  }

  /**
   * The CIDs the peer may put in the records it sends us (RFC 9147 9): the one negotiated and the
   * spares we gave it with NewConnectionId, all of one length (the header does not carry it, so
   * the receiver frames every record with its own CIDs' length). None: a record with a CID is
   * rejected ("If no CID is negotiated, then the receiver MUST reject any records it receives that
   * contain a CID").
   */
  setReceiveConnectionIds(cids: readonly Uint8Array[]): void {
    const first = cids[0];
    if (cids.some((c) => c.length !== (first?.length ?? 0) || c.length > 255)) throw internalError('the CIDs we receive must all have one length of at most 255 bytes');
    this.receiveConnectionIds = cids.filter((c) => c.length > 0).map(ownConnectionId);
    this.receiveConnectionId = this.receiveConnectionIds[0] ?? NO_CID;
  }

  /**
   * Sets the next sequence number of a write epoch: epoch 0 goes on from the records sent before
   * the version was known (RFC 9147 4: a ClientHello's successor carries the next number, and a
   * server answers from the ClientHello's, RFC 9147 5.1 / RFC 6347 4.2.1). In an epoch with keys
   * the number only moves forward: reusing one would reuse an AEAD nonce.
   */
  setNextWriteSequence(epoch: number, sequenceNumber: number): void {
    const state = this.writeState(epoch);
    if (!Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > MAX_SEQUENCE_NUMBER) {
      throw internalError(`sequence number out of range: ${sequenceNumber}`);
    }
    if (state.keys !== null && sequenceNumber < state.nextSequence) {
      throw internalError(`sequence number of epoch ${epoch} cannot move back to ${sequenceNumber}`);
    }
    state.nextSequence = sequenceNumber;
  }

  /** Forgets the write epochs older than `epoch` (nothing of them will be retransmitted). */
  forgetWriteEpochsBefore(epoch: number): void {
    this.writeEpochs.forgetBefore(epoch);
  }

  /** The sequence number the next record of `epoch` will carry. */
  nextWriteSequence(epoch: number = this.writeEpochs.current.epoch): number {
    return this.writeState(epoch).nextSequence;
  }

  /**
   * Bytes a record of write epoch `epoch` adds around its content: the 13-byte DTLSPlaintext
   * header in epoch 0; else the unified header, the inner content type and the AEAD tag (RFC 9147
   * 4; padding not counted: seal() adds none unless asked, or a CCM_8 record is under 16 bytes).
   * A flight leaves this much room in each datagram.
   */
  recordOverhead(epoch: number = this.writeEpochs.current.epoch): number {
    const { keys, connectionId, sequenceNumberLength, lengthPresent } = this.writeState(epoch);
    if (keys === null) return RECORD_HEADER_LENGTH;
    return unifiedHeaderLength(connectionId.length, sequenceNumberLength, lengthPresent) + 1 + keys.aead.tagLength;
  }

  /** The confidentiality usage of a write epoch's key (RFC 9147 4.5.3); 'fresh' for epoch 0. */
  writeKeyUsage(epoch: number = this.writeEpochs.current.epoch): KeyUsageState {
    return this.writeState(epoch).usage?.state ?? 'fresh';
  }

  /**
   * Whether the current write key may protect application data (KeyUsage.roomForData): false near
   * its limit, until a KeyUpdate of ours is acknowledged and the next epoch's key takes over.
   */
  get writeKeyHasRoomForData(): boolean {
    return this.writeEpochs.current.usage?.roomForData ?? true;
  }

  /**
   * True once the current write key has protected, or the current read key has seen failing, a
   * share of its AEAD limit (RFC 9147 4.5.3: "Implementations SHOULD initiate a key update before
   * reaching this limit"): the handshake layer then sends a KeyUpdate (RFC 9147 8).
   */
  get keyUpdateNeeded(): boolean {
    const w = this.writeEpochs.current.usage?.state ?? 'fresh';
    return w !== 'fresh' || this.peerKeyUpdateNeeded;
  }

  /**
   * True once the current read key has seen failing a share of its integrity limit (RFC 9147
   * 4.5.3; CCM_8's is low, 2^7 by default) and the peer was not asked yet to replace it: our
   * KeyUpdate then carries update_requested (RFC 8446 4.6.3), and peerKeyUpdateRequested() says so.
   */
  get peerKeyUpdateNeeded(): boolean {
    const current = this.readEpochs.current;
    return (current.failures?.state ?? 'fresh') !== 'fresh' && this.updateRequestedInReadEpoch !== current.epoch;
  }

  /** Our KeyUpdate with update_requested went out: the peer's next key comes with its own KeyUpdate. */
  peerKeyUpdateRequested(): void {
    this.updateRequestedInReadEpoch = this.readEpochs.current.epoch;
  }

  private updateRequestedInReadEpoch: number | undefined;

  /**
   * Seals one record of content type `type` in `epoch` (default the current write epoch): a
   * DTLSPlaintext record in epoch 0 (alert, handshake or ack only, RFC 9147 4.1), else a
   * DTLSCiphertext. `padding` zeros are added to the inner plaintext, and more when the AEAD's
   * tag is short (CCM_8): RFC 9147 4.2.3 needs 16 bytes of ciphertext for the record number mask,
   * and "Senders MUST pad short plaintexts out". internal_error for content over 2^14, an epoch
   * we do not hold, a type epoch 0 cannot carry, or a key past its confidentiality limit or
   * sequence numbers (RFC 9147 4.5.3, 4.2.1: rekey first).
   */
  seal(type: number, content: Uint8Array, epoch: number = this.writeEpochs.current.epoch, padding = 0): Uint8Array {
    const state = this.writeState(epoch);
    if (content.length > MAX_PLAINTEXT_LENGTH) throw internalError(`record content of ${content.length} bytes exceeds 2^14`);
    const seq = state.nextSequence;
    if (seq > MAX_SEQUENCE_NUMBER) throw internalError(`sequence numbers of epoch ${epoch} exhausted: rekey first (RFC 9147 4.2.1)`);
    const { keys, usage } = state;
    if (keys === null || usage === null) {
      if (!PLAINTEXT_TYPES.includes(type)) throw internalError(`content type ${type} cannot be sent in a DTLSPlaintext record (RFC 9147 4.1)`);
      state.nextSequence = seq + 1;
      this.counters.sealed++;
      // RFC 9147 4: legacy_record_version {254, 253}, epoch 0.
      return encodeRecord({ type, version: DTLS_1_2_VERSION, epoch: 0, sequenceNumber: seq }, content);
    }
    if (usage.state === 'exhausted') {
      throw internalError(`the key of write epoch ${epoch} has protected ${usage.count} records, its limit (RFC 9147 4.5.3): update keys first`);
    }
    const aead = keys.aead;
    const tagLength = aead.tagLength;
    const minimum = RECORD_NUMBER_SAMPLE_LENGTH - tagLength - (content.length + 1);
    const pad = Math.max(padding, minimum);
    // The inner plaintext, nonce and additional data in the thread's scratch (aead-scratch.ts):
    // each is used up before the AEAD returns (the Aead contract), so no record sees another's.
    const inner = encodeInnerPlaintext(type, content, pad, innerPlaintextScratch(content.length + 1 + pad));
    const { connectionId, sequenceNumberLength, lengthPresent } = state;
    const headerLength = unifiedHeaderLength(connectionId.length, sequenceNumberLength, lengthPresent);
    const ciphertextLength = inner.length + tagLength;
    const out = SEALED_RECORDS.take(headerLength + ciphertextLength);
    const seqBits = seq % (sequenceNumberLength === 2 ? 0x1_0000 : 0x100);
    encodeUnifiedHeader({ epochBits: epoch % 4, connectionId, sequenceNumberLength, sequenceNumberBits: seqBits, lengthPresent }, ciphertextLength, out, 0);
    // RFC 9147 4: "The entire header value ... (but prior to record number encryption ...) is used
    // as the additional data value for the AEAD function".
    const aad = additionalDataOf(out, 0, headerLength);
    const nonce = dtls13Nonce(keys.iv, seq, keys.iv.length === NONCE_SCRATCH.length ? NONCE_SCRATCH : undefined);
    // A provider that can seal in place writes into the record itself: no copy of the sealed bytes.
    if (aead.sealInto !== undefined) aead.sealInto(nonce, inner, aad, out, headerLength);
    else {
      const sealed = aead.seal(nonce, inner, aad);
      if (sealed.length !== ciphertextLength) throw internalError(`AEAD returned ${sealed.length} bytes, expected ${ciphertextLength}`);
      out.set(sealed, headerLength);
    }
    // RFC 9147 4.2.3: the mask from the first 16 bytes of ciphertext, XORed into the sequence number.
    const mask = this.recordNumberMask(keys, out.subarray(headerLength, headerLength + RECORD_NUMBER_SAMPLE_LENGTH));
    const at = 1 + connectionId.length;
    for (let i = 0; i < sequenceNumberLength; i++) out[at + i] = (out[at + i] ?? 0) ^ (mask[i] ?? 0);
    // No copy of the application's data stays behind.
    inner.fill(0);
    state.nextSequence = seq + 1;
    usage.add();
    this.counters.sealed++;
    return out;
  }

  /** RFC 9147 4.2.3's mask over the first 16 bytes of ciphertext (see chacha20MaskCounter for the one variant). */
  private recordNumberMask(keys: Dtls13EpochKeys, sample: Uint8Array): Uint8Array {
    if (!this.chacha20CounterBigEndian || keys.recordNumberMasker.cipher !== 'chacha20') return keys.recordNumberMasker.mask(sample);
    const swapped = sample.slice();
    swapped.set([sample[3] ?? 0, sample[2] ?? 0, sample[1] ?? 0, sample[0] ?? 0], 0);
    return keys.recordNumberMasker.mask(swapped);
  }

  private writeState(epoch: number): WriteEpoch {
    const state = this.writeEpochs.get(epoch);
    if (state === undefined) throw internalError(`no write state for epoch ${epoch} (current ${this.writeEpochs.current.epoch})`);
    return state;
  }

  // --- read side ----------------------------------------------------------------------

  get readEpoch(): number {
    return this.readEpochs.current.epoch;
  }

  /**
   * Starts read epoch `epoch` (newer than every one so far); older epochs stay readable until
   * forgotten. Returns the held records that are now readable, in arrival order; held records of
   * other epochs stay held. Throws as open() does.
   */
  setReadKeys(epoch: number, keys: Dtls13EpochKeys): Dtls13ReadRecord[] {
    if (!Number.isSafeInteger(epoch) || epoch <= this.readEpochs.current.epoch) {
      throw internalError(`read epoch ${epoch} is not newer than ${this.readEpochs.current.epoch}`);
    }
    this.readEpochs.add({ epoch, keys, window: new ReplayWindow(this.replayWindowSize), failures: this.limitsOf(keys).integrity });
    const out: Dtls13ReadRecord[] = [];
    const held = this.held;
    const keep: Uint8Array[] = [];
    this.held = [];
    this.heldTotal = 0;
    for (const record of held) {
      const framed = frameUnifiedRecord(record, 0, this.receiveConnectionId.length);
      if (framed !== undefined && framed.header.epochBits === epoch % 4) this.openCiphertext(framed, out, true);
      else keep.push(record);
    }
    for (const record of keep) {
      this.held.push(record);
      this.heldTotal += record.length;
    }
    return out;
  }

  /** Records held for an epoch whose keys are not set yet. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Drops every held record (counted as unknownEpoch) and holds no more, e.g. when the connection ends. */
  stopHolding(): void {
    this.counters.unknownEpoch += this.held.length;
    this.held = [];
    this.heldTotal = 0;
    this.holding = false;
  }

  /** Stops reading the epochs older than `epoch` (RFC 9147 4.2.1: SHOULD discard them eventually). */
  forgetReadEpochsBefore(epoch: number): void {
    this.readEpochs.forgetBefore(epoch);
  }

  /** The read epochs held, oldest first. */
  get readEpochsHeld(): number[] {
    return this.readEpochs.newestFirst().map((e) => e.epoch).reverse();
  }

  /**
   * Marks an epoch-0 (plaintext, unauthenticated) record as seen once the handshake has used it,
   * as the DTLS 1.2 record layer does (a spoofed plaintext record must not move the window).
   */
  acceptUnauthenticated(sequenceNumber: number): void {
    this.readEpochs.get(0)?.window.accept(sequenceNumber);
  }

  /**
   * Every valid record of a datagram, in order. Invalid records are dropped silently and counted
   * (RFC 9147 4.5.2); a record whose first byte is neither a DTLS 1.3 plaintext type nor 001xxxxx,
   * a truncated one, or one carrying another connection ID ends the datagram ("the rest of the
   * datagram MUST be discarded", RFC 9147 4). Throws a DtlsError only for what ends the
   * connection: an authenticated record whose inner plaintext is malformed (unexpected_message,
   * record_overflow, RFC 8446 5.2/5.4), or more failed authentications on the current read key
   * than its AEAD allows (RFC 9147 4.5.3: "SHOULD immediately close the connection").
   */
  open(datagram: Uint8Array, inPlace = false): Dtls13ReadRecord[] {
    const out: Dtls13ReadRecord[] = [];
    let offset = 0;
    while (offset < datagram.length) {
      const kind = dtls13RecordKind(datagram[offset] ?? 0);
      if (kind === 'plaintext') {
        const end = this.openPlaintext(datagram, offset, out);
        if (end === undefined) break;
        offset = end;
      } else if (kind === 'ciphertext') {
        const framed = frameUnifiedRecord(datagram, offset, this.receiveConnectionId.length);
        if (framed === undefined) {
          this.counters.dropped++;
          break;
        }
        const cid = framed.header.connectionId;
        if (cid.length > 0 && !this.receiveConnectionIds.some((c) => bytesEqual(c, cid))) {
          this.counters.dropped++;
          break;
        }
        this.openCiphertext(framed, out, inPlace);
        offset = framed.end;
      } else {
        // RFC 9147 4.1: "the record MUST be rejected as if it had failed deprotection"; its length is unknown.
        this.counters.dropped++;
        break;
      }
    }
    return out;
  }

  /** An epoch-0 DTLSPlaintext record at `offset`; the offset after it, or undefined when the datagram ends here. */
  private openPlaintext(datagram: Uint8Array, offset: number, out: Dtls13ReadRecord[]): number | undefined {
    const header = decodeRecordHeader(datagram, offset);
    const end = offset + RECORD_HEADER_LENGTH + (header?.length ?? 0);
    if (header === undefined || end > datagram.length) {
      this.counters.dropped++;
      return undefined;
    }
    // RFC 9147 4: DTLSPlaintext has "uint16 epoch = 0"; legacy_record_version "MUST be ignored".
    const state = this.readEpochs.get(0);
    if (header.epoch !== 0 || state === undefined || header.length > MAX_PLAINTEXT_LENGTH) {
      this.counters.dropped++;
      return end;
    }
    if (!state.window.check(header.sequenceNumber)) {
      this.counters.replayed++;
      return end;
    }
    out.push({ type: header.type, epoch: 0, sequenceNumber: header.sequenceNumber, content: datagram.slice(offset + RECORD_HEADER_LENGTH, end), authenticated: false });
    return end;
  }

  /**
   * The read epoch a record's two epoch bits name (RFC 9147 4.2.2, reconstructEpoch), if we hold
   * it. Almost every record is of the current epoch, whose bits match: that is reconstructEpoch's
   * first answer, taken here without building the list of held epochs for each record.
   */
  private readStateOf(epochBits: number): ReadEpoch | undefined {
    const current = this.readEpochs.current;
    if (current.keys !== null && current.epoch % 4 === (epochBits & 3)) return current;
    const held: number[] = [];
    for (const e of this.readEpochs.newestFirst()) if (e.keys !== null) held.push(e.epoch);
    const epoch = reconstructEpoch(epochBits, current.epoch, held);
    return epoch === undefined ? undefined : this.readEpochs.get(epoch);
  }

  private openCiphertext(framed: FramedUnifiedRecord, out: Dtls13ReadRecord[], inPlace: boolean): void {
    const { header, headerBytes, encryptedRecord } = framed;
    // RFC 9147 4.2.3: "Receivers MUST reject shorter records as if they had failed deprotection".
    if (encryptedRecord.length < RECORD_NUMBER_SAMPLE_LENGTH) {
      this.counters.dropped++;
      return;
    }
    const state = this.readStateOf(header.epochBits);
    const keys = state?.keys;
    if (state === undefined || keys === undefined || keys === null) {
      this.hold(framed);
      return;
    }
    const epoch = state.epoch;
    const mask = this.recordNumberMask(keys, encryptedRecord.subarray(0, RECORD_NUMBER_SAMPLE_LENGTH));
    const length = header.sequenceNumberLength;
    const maskBits = length === 2 ? ((mask[0] ?? 0) << 8) | (mask[1] ?? 0) : (mask[0] ?? 0);
    const seqBits = header.sequenceNumberBits ^ maskBits;
    const seq = reconstructSequenceNumber(state.window.highest + 1, seqBits, length);
    // The additional data is the header with the sequence number in the clear (RFC 9147 4).
    const aad = additionalDataOf(headerBytes, 0, headerBytes.length);
    const at = 1 + header.connectionId.length;
    if (length === 2) aad[at] = (seqBits >>> 8) & 0xff;
    aad[at + length - 1] = seqBits & 0xff;
    const nonce = dtls13Nonce(keys.iv, seq, keys.iv.length === NONCE_SCRATCH.length ? NONCE_SCRATCH : undefined);
    const aead = keys.aead;
    let plaintext: Uint8Array | null;
    try {
      // Memory handed over (the caller's datagram, or our own copy of a held record) is opened
      // where it lies: no allocation per record (Aead.openInPlace).
      plaintext = inPlace && aead.openInPlace !== undefined ? aead.openInPlace(nonce, encryptedRecord, aad) : aead.open(nonce, encryptedRecord, aad);
    } catch {
      // The Aead contract says open() never throws; a provider that does still must not crash us.
      plaintext = null;
    }
    if (plaintext === null) {
      this.counters.authFailures++;
      this.authenticationFailed(state);
      return;
    }
    // RFC 9147 4.5.1: the replay check after deprotection (no timing channel on the record
    // number); the window moves only for a record that deprotected.
    if (!state.window.check(seq)) {
      this.counters.replayed++;
      return;
    }
    state.window.accept(seq);
    const inner = openInnerPlaintext(plaintext);
    if (!PROTECTED_TYPES.includes(inner.type)) {
      throw new DtlsError(AlertDescription.unexpected_message, `a DTLS 1.3 record of epoch ${epoch} carries content type ${inner.type} (RFC 9147 4.1)`);
    }
    out.push({ type: inner.type, epoch: state.epoch, sequenceNumber: seq, content: inner.content, authenticated: true });
  }

  /** Holds a record of an epoch without keys (a copy: the datagram's memory is the caller's), oldest out first. */
  private hold(framed: FramedUnifiedRecord): void {
    const size = framed.end - framed.offset;
    if (!this.holding || this.maxHeldRecords === 0 || size > this.maxHeldBytes) {
      this.counters.unknownEpoch++;
      return;
    }
    const record = new Uint8Array(framed.headerBytes.buffer, framed.headerBytes.byteOffset, size).slice();
    // Only an exact copy is a duplicate: a forgery sharing its header must not evict the genuine record.
    if (this.held.some((h) => bytesEqual(h, record))) {
      this.counters.replayed++;
      return;
    }
    while (this.held.length > 0 && (this.held.length >= this.maxHeldRecords || this.heldTotal + size > this.maxHeldBytes)) {
      const evicted = this.held.shift();
      if (evicted !== undefined) this.heldTotal -= evicted.length;
      this.counters.unknownEpoch++;
    }
    this.held.push(record);
    this.heldTotal += size;
    this.counters.held++;
  }

  /**
   * RFC 9147 4.5.3: count failures per key; past the limit, the current key ends the connection,
   * an older one is dropped ("the previous keys can be dropped when the limit is reached").
   */
  private authenticationFailed(state: ReadEpoch): void {
    const failures = state.failures;
    if (failures === null || failures.add() !== 'exhausted') return;
    const current = this.readEpochs.current.epoch;
    if (state.epoch !== current) {
      this.readEpochs.forgetBefore(current);
      return;
    }
    throw new DtlsError(
      AlertDescription.bad_record_mac,
      `${failures.count} records failed authentication with the key of epoch ${state.epoch}, its limit is ${failures.limit} (RFC 9147 4.5.3)`,
    );
  }
}

/**
 * A copy of `bytes[from, from + length)` to give an AEAD as its additional data: in the thread's
 * scratch when it fits (no allocation per record; used up before the AEAD returns), else its own.
 */
function additionalDataOf(bytes: Uint8Array, from: number, length: number): Uint8Array {
  if (length > ADDITIONAL_DATA_SCRATCH.length) return bytes.slice(from, from + length);
  const aad = additionalDataScratch(length);
  for (let i = 0; i < length; i++) aad[i] = bytes[from + i] ?? 0;
  return aad;
}
