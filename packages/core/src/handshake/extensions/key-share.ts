import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import { checkLength, checkUint, writeVector16 } from '../vectors.js';

/*
 * RFC 8446 4.2.8:
 *   struct {
 *     NamedGroup group;
 *     opaque key_exchange<1..2^16-1>;
 *   } KeyShareEntry;
 *
 *   struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello;
 *   struct { NamedGroup selected_group; } KeyShareHelloRetryRequest;
 *   struct { KeyShareEntry server_share; } KeyShareServerHello;
 *
 * key_exchange is the group's public value (32 bytes for X25519, an uncompressed point for the
 * NIST curves, 4.2.8.2); its length per group is the key exchange's business, not this codec's.
 */
export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

function writeEntry(w: Writer, e: KeyShareEntry): void {
  w.u16(checkUint('group', e.group, 0xffff));
  writeVector16(w, 'key_exchange', e.keyExchange, 1, 0xffff);
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16('group');
  const keyExchange = r.vector16('key_exchange', 1);
  return { group, keyExchange };
}

export function encodeKeyShareClientHello(shares: readonly KeyShareEntry[]): Uint8Array {
  const w = new Writer(2 + shares.reduce((n, s) => n + 4 + s.keyExchange.length, 0));
  w.u16(0);
  for (const s of shares) writeEntry(w, s);
  const out = w.finish();
  const total = checkLength('client_shares', out.length - 2, 0, 0xffff);
  out[0] = total >>> 8;
  out[1] = total & 0xff;
  return out;
}

/**
 * DecodeError on a malformed list; RFC 8446 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry
 * values for the same group ... Servers MAY check for violations of these rules and abort the
 * handshake with an "illegal_parameter" alert": a repeated group is refused.
 */
export function decodeKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data, 'key_share');
  const list = new Reader(r.vector16('client_shares'), 'client_shares');
  r.end();
  const out: KeyShareEntry[] = [];
  const seen = new Set<number>();
  while (list.remaining > 0) {
    const e = readEntry(list);
    if (seen.has(e.group)) throw new IllegalParameterError(`key_share: group ${e.group} offered twice`);
    seen.add(e.group);
    out.push(e);
  }
  return out;
}

export function encodeKeyShareServerHello(share: KeyShareEntry): Uint8Array {
  const w = new Writer(4 + share.keyExchange.length);
  writeEntry(w, share);
  return w.finish();
}

export function decodeKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data, 'key_share');
  const e = readEntry(r);
  r.end();
  return e;
}

export function encodeKeyShareHelloRetryRequest(selectedGroup: number): Uint8Array {
  return new Writer(2).u16(checkUint('selected_group', selectedGroup, 0xffff)).finish();
}

export function decodeKeyShareHelloRetryRequest(data: Uint8Array): number {
  const r = new Reader(data, 'key_share');
  const group = r.u16('selected_group');
  r.end();
  return group;
}

/**
 * The server's check of a ClientHello's shares against its supported_groups (RFC 8446 4.2.8):
 * "Each KeyShareEntry value MUST correspond to a group offered in the "supported_groups" extension
 * and MUST appear in the same order." Violations are illegal_parameter (same paragraph).
 */
export function checkKeySharesFollowGroups(shares: readonly KeyShareEntry[], supportedGroups: readonly number[]): void {
  let last = -1;
  for (const s of shares) {
    const at = supportedGroups.indexOf(s.group);
    if (at < 0) throw new IllegalParameterError(`key_share: group ${s.group} is not in supported_groups`);
    if (at <= last) throw new IllegalParameterError(`key_share: group ${s.group} is out of supported_groups order`);
    last = at;
  }
}

/**
 * The client's check of a HelloRetryRequest's selected_group (RFC 8446 4.2.8): it must be one of
 * the client's supported_groups and not one it already sent a share for; otherwise
 * illegal_parameter.
 */
export function checkHelloRetryGroup(selectedGroup: number, supportedGroups: readonly number[], offered: readonly KeyShareEntry[]): void {
  if (!supportedGroups.includes(selectedGroup)) {
    throw new IllegalParameterError(`HelloRetryRequest selected group ${selectedGroup}, which we did not offer`);
  }
  if (offered.some((s) => s.group === selectedGroup)) {
    throw new IllegalParameterError(`HelloRetryRequest selected group ${selectedGroup}, for which we already sent a share`);
  }
}

/**
 * The client's check of the ServerHello's share (RFC 8446 4.2.8): its group must be one the client
 * sent a share for, and after a HelloRetryRequest the group that request selected; otherwise
 * illegal_parameter.
 */
export function checkServerShareGroup(serverGroup: number, offered: readonly KeyShareEntry[], retryGroup?: number): void {
  if (retryGroup !== undefined && serverGroup !== retryGroup) {
    throw new IllegalParameterError(`ServerHello key_share group ${serverGroup} differs from the HelloRetryRequest's ${retryGroup}`);
  }
  if (!offered.some((s) => s.group === serverGroup)) {
    throw new IllegalParameterError(`ServerHello key_share group ${serverGroup} is not one we sent a share for`);
  }
}
