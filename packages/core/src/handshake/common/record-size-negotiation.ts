import { AlertDescription } from '../../alert.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { ReadRecord, RecordLayer } from '../../record/record-layer.js';
import { MAX_PLAINTEXT_LENGTH } from '../../record/record-header.js';
import { type Extension, findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeMaxFragmentLength, encodeMaxFragmentLength, MAX_FRAGMENT_LENGTHS, type MaxFragmentLength } from '../extensions/max-fragment-length.js';
import { decodeRecordSizeLimit, encodeRecordSizeLimit } from '../extensions/record-size-limit.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';

/*
 * Record size limits: record_size_limit (RFC 8449) and its predecessor max_fragment_length
 * (RFC 6066 4). Each side's records are bounded by what the other can take; the path MTU still
 * bounds them too (the smaller wins: DtlsConnection.maxPayload, serializeFlight).
 */

/** RFC 8449 4: "Endpoints MUST NOT send a "record_size_limit" extension with a value smaller than 64." */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** RFC 8449 4: for TLS 1.2 (and DTLS 1.2) the protocol's largest record plaintext, 2^14. */
export const MAX_RECORD_SIZE_LIMIT = MAX_PLAINTEXT_LENGTH;

/** What a handshake negotiated about record sizes: exposed as DtlsConnection.recordSizeLimit. */
export interface RecordSizeLimit {
  /** The extension that set the limits. */
  readonly extension: 'record_size_limit' | 'max_fragment_length';
  /** Largest plaintext in a record we send: the peer's limit. */
  readonly send: number;
  /** Largest plaintext in a protected record we accept: the limit we advertised (record_overflow past it). */
  readonly receive: number;
}

/** The recordSizeLimit option, checked once: 64..2^14 for DTLS 1.2 (RFC 8449 4); undefined when not given. */
export function recordSizeLimitOption(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < MIN_RECORD_SIZE_LIMIT || value > MAX_RECORD_SIZE_LIMIT) {
    throw new RangeError(
      `recordSizeLimit must be an integer ${MIN_RECORD_SIZE_LIMIT}..${MAX_RECORD_SIZE_LIMIT} (RFC 8449 4, DTLS 1.2) (got ${String(value)})`,
    );
  }
  return value;
}

/** The maxFragmentLength option (client), checked once: one of RFC 6066 4's 512, 1024, 2048, 4096. */
export function maxFragmentLengthOption(value: number | undefined): MaxFragmentLength | undefined {
  if (value === undefined) return undefined;
  const length = MAX_FRAGMENT_LENGTHS.find((l) => l === value);
  if (length === undefined) throw new RangeError(`maxFragmentLength must be 512, 1024, 2048 or 4096 (RFC 6066 4) (got ${String(value)})`);
  return length;
}

/**
 * The client's offer: record_size_limit with our limit when recordSizeLimit is set, and
 * max_fragment_length when maxFragmentLength is (RFC 8449 5: a client MAY send both, for a server
 * that knows only the older one). Neither by default: the default ClientHello stays as it was.
 */
export function recordSizeLimitOffer(options: { readonly recordSizeLimit: number | undefined; readonly maxFragmentLength: MaxFragmentLength | undefined }): Extension[] {
  const ext: Extension[] = [];
  if (options.maxFragmentLength !== undefined) ext.push({ type: ExtensionType.max_fragment_length, data: encodeMaxFragmentLength(options.maxFragmentLength) });
  if (options.recordSizeLimit !== undefined) ext.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(options.recordSizeLimit) });
  return ext;
}

/** Puts the negotiated limits in force: what we seal is bounded by the peer's (RecordLayer.sendPlaintextLimit). */
function negotiate(limit: RecordSizeLimit, negotiated: NegotiatedParameters, records: RecordLayer): void {
  negotiated.recordSizeLimit = limit;
  records.sendPlaintextLimit = limit.send;
}

/**
 * The server's answer to the ClientHello's record_size_limit or max_fragment_length, if any (it
 * answers only what the client sent: the default handshake carries neither), and the limits put
 * in force. `recordSizeLimit` is our option; without it we still answer record_size_limit, with
 * 2^14 (RFC 8449 4: "Endpoints SHOULD advertise the "record_size_limit" extension, even if they
 * have no need to limit the size of records"), so that a client's limit is honoured.
 */
export function answerRecordSizeLimit(
  clientExtensions: readonly Extension[],
  recordSizeLimit: number | undefined,
  negotiated: NegotiatedParameters,
  records: RecordLayer,
): Extension | undefined {
  const rsl = findExtension(clientExtensions, ExtensionType.record_size_limit);
  if (rsl !== undefined) {
    const peer = decodeRecordSizeLimit(rsl.data);
    if (peer < MIN_RECORD_SIZE_LIMIT) throw new IllegalParameterError(`client's record_size_limit ${peer} is below ${MIN_RECORD_SIZE_LIMIT} (RFC 8449 4)`);
    // RFC 8449 4: "A server MUST NOT enforce this restriction [the protocol's maximum]; a client
    // might advertise a higher limit": we send at most 2^14 anyway.
    const ours = recordSizeLimit ?? MAX_RECORD_SIZE_LIMIT;
    // RFC 8449 5: "A server that supports the "record_size_limit" extension MUST ignore a
    // "max_fragment_length" that appears in a ClientHello if both extensions appear."
    negotiate({ extension: 'record_size_limit', send: Math.min(peer, MAX_RECORD_SIZE_LIMIT), receive: ours }, negotiated, records);
    return { type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(ours) };
  }
  const mfl = findExtension(clientExtensions, ExtensionType.max_fragment_length);
  if (mfl === undefined) return undefined;
  // RFC 6066 4: an unknown value is illegal_parameter (decodeMaxFragmentLength); the server
  // echoes the value, and the length then bounds both directions, handshake messages included.
  const length = decodeMaxFragmentLength(mfl.data);
  negotiate({ extension: 'max_fragment_length', send: length, receive: length }, negotiated, records);
  return { type: ExtensionType.max_fragment_length, data: encodeMaxFragmentLength(length) };
}

/**
 * The client's check of the ServerHello's answer (the server answers only what we offered,
 * checked before), and the limits put in force.
 */
export function acceptRecordSizeLimit(
  serverExtensions: readonly Extension[],
  options: { readonly recordSizeLimit: number | undefined; readonly maxFragmentLength: MaxFragmentLength | undefined },
  negotiated: NegotiatedParameters,
  records: RecordLayer,
): void {
  const rsl = findExtension(serverExtensions, ExtensionType.record_size_limit);
  const mfl = findExtension(serverExtensions, ExtensionType.max_fragment_length);
  if (rsl !== undefined && mfl !== undefined) {
    // RFC 8449 5: "A client MUST treat receipt of both ... as a fatal error, and it SHOULD generate an "illegal_parameter" alert."
    throw new IllegalParameterError('server answered both record_size_limit and max_fragment_length (RFC 8449 5)');
  }
  if (rsl !== undefined) {
    const peer = decodeRecordSizeLimit(rsl.data);
    if (peer < MIN_RECORD_SIZE_LIMIT) throw new IllegalParameterError(`server's record_size_limit ${peer} is below ${MIN_RECORD_SIZE_LIMIT} (RFC 8449 4)`);
    // RFC 8449 4: "A client MAY abort the handshake with an "illegal_parameter" alert if the
    // record_size_limit extension includes a value greater than the maximum record size permitted
    // by the negotiated protocol version": 2^14 in DTLS 1.2.
    if (peer > MAX_RECORD_SIZE_LIMIT) {
      throw new IllegalParameterError(`server's record_size_limit ${peer} is above DTLS 1.2's ${MAX_RECORD_SIZE_LIMIT} (RFC 8449 4)`);
    }
    negotiate({ extension: 'record_size_limit', send: peer, receive: options.recordSizeLimit ?? MAX_RECORD_SIZE_LIMIT }, negotiated, records);
    return;
  }
  if (mfl !== undefined) {
    const length = decodeMaxFragmentLength(mfl.data);
    // RFC 6066 4: "if a client receives a maximum fragment length negotiation response that
    // differs from the length it requested, it MUST also abort the handshake with an "illegal_parameter" alert."
    if (length !== options.maxFragmentLength) {
      throw new IllegalParameterError(`server answered max_fragment_length ${length}, we asked for ${String(options.maxFragmentLength)} (RFC 6066 4)`);
    }
    negotiate({ extension: 'max_fragment_length', send: length, receive: length }, negotiated, records);
  }
}

/**
 * RFC 8449 4: "a DTLS endpoint that receives a record larger than its advertised limit MAY either
 * generate a fatal "record_overflow" alert or discard the record"; RFC 6066 4: a record past the
 * negotiated length gets "record_overflow". We send the alert, for an authenticated record only:
 * a plaintext (epoch 0) record proves nothing about its sender, and an alert for one would let an
 * off-path attacker end the handshake with a single forged datagram (RFC 6347 4.1.2.7).
 */
export function checkRecordSize(r: ReadRecord, limit: RecordSizeLimit | undefined): void {
  if (limit === undefined || !r.authenticated || r.payload.length <= limit.receive) return;
  throw new DtlsError(
    AlertDescription.record_overflow,
    `peer sent a record of ${r.payload.length} plaintext bytes in epoch ${r.epoch}, over the ${limit.receive} we advertised with ${limit.extension} (${limit.extension === 'record_size_limit' ? 'RFC 8449 4' : 'RFC 6066 4'})`,
  );
}
