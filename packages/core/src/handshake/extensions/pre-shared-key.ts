import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import type { Extension } from './extension.js';
import { ExtensionType } from './extension-type.js';
import { checkLength, checkUint, writeVector16, writeVector8 } from '../vectors.js';

/*
 * RFC 8446 4.2.11:
 *   struct {
 *     opaque identity<1..2^16-1>;
 *     uint32 obfuscated_ticket_age;
 *   } PskIdentity;
 *
 *   opaque PskBinderEntry<32..255>;
 *
 *   struct {
 *     PskIdentity identities<7..2^16-1>;
 *     PskBinderEntry binders<33..2^16-1>;
 *   } OfferedPsks;
 *
 *   struct {
 *     select (Handshake.msg_type) {
 *       case client_hello: OfferedPsks;
 *       case server_hello: uint16 selected_identity;
 *     };
 *   } PreSharedKeyExtension;
 */
export interface PskIdentity {
  identity: Uint8Array;
  /** The ticket age plus the ticket's age_add, mod 2^32 (4.2.11.1); 0 for external PSKs. */
  obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  identities: PskIdentity[];
  /** One HMAC per identity, same order (4.2.11.2). */
  binders: Uint8Array[];
}

/** Bytes the binders list takes at the end of the ClientHello: its 2-byte length and each 1-byte-prefixed entry. */
export function bindersLength(binders: readonly Uint8Array[]): number {
  return binders.reduce((n, b) => n + 1 + b.length, 2);
}

export function encodeOfferedPsks(m: OfferedPsks): Uint8Array {
  if (m.identities.length !== m.binders.length) {
    throw new RangeError(`pre_shared_key: ${m.identities.length} identities but ${m.binders.length} binders`);
  }
  const identitiesLength = m.identities.reduce((n, i) => n + 2 + i.identity.length + 4, 0);
  checkLength('identities', identitiesLength, 7, 0xffff);
  const bindersBytes = bindersLength(m.binders) - 2;
  checkLength('binders', bindersBytes, 33, 0xffff);
  const w = new Writer(4 + identitiesLength + bindersBytes);
  w.u16(identitiesLength);
  for (const i of m.identities) {
    writeVector16(w, 'identity', i.identity, 1, 0xffff);
    w.u32(checkUint('obfuscated_ticket_age', i.obfuscatedTicketAge, 0xffffffff));
  }
  w.u16(bindersBytes);
  for (const b of m.binders) writeVector8(w, 'PskBinderEntry', b, 32, 255);
  return w.finish();
}

/**
 * DecodeError on a malformed structure; illegal_parameter when the two lists differ in length
 * (RFC 8446 6: a field "inconsistent with other fields"), since each binder goes with one identity.
 */
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new Reader(data, 'pre_shared_key');
  const ids = new Reader(r.vector16('identities', 7), 'identities');
  const bs = new Reader(r.vector16('binders', 33), 'binders');
  r.end();
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) {
    const identity = ids.vector16('identity', 1);
    const obfuscatedTicketAge = ids.u32('obfuscated_ticket_age');
    identities.push({ identity, obfuscatedTicketAge });
  }
  const binders: Uint8Array[] = [];
  while (bs.remaining > 0) binders.push(bs.vector8('PskBinderEntry', 32, 255));
  if (binders.length !== identities.length) {
    throw new IllegalParameterError(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
  }
  return { identities, binders };
}

export function encodePreSharedKeyServerHello(selectedIdentity: number): Uint8Array {
  return new Writer(2).u16(checkUint('selected_identity', selectedIdentity, 0xffff)).finish();
}

export function decodePreSharedKeyServerHello(data: Uint8Array): number {
  const r = new Reader(data, 'pre_shared_key');
  const selected = r.u16('selected_identity');
  r.end();
  return selected;
}

/**
 * RFC 8446 4.2.11: "Clients MUST verify that the server's selected_identity is within the range
 * supplied by the client ... If the server supplies an "early_data" extension as well ... Any
 * other violation ... MUST abort the handshake with an "illegal_parameter" alert."
 */
export function checkSelectedIdentity(selected: number, offeredCount: number): void {
  if (selected >= offeredCount) {
    throw new IllegalParameterError(`pre_shared_key: the server selected identity ${selected} of the ${offeredCount} we offered`);
  }
}

/**
 * RFC 8446 4.2.11: "The "pre_shared_key" extension MUST be the last extension in the ClientHello
 * (this facilitates implementation as described below). Servers MUST check that it is the last
 * extension and otherwise fail the handshake with an "illegal_parameter" alert."
 */
export function checkPreSharedKeyLast(extensions: readonly Extension[]): void {
  const at = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (at >= 0 && at !== extensions.length - 1) {
    throw new IllegalParameterError('pre_shared_key is not the last extension of the ClientHello');
  }
}
