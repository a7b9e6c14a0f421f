import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import { checkLength, writeVector8 } from '../vectors.js';

/*
 * RFC 9147 9:
 *   enum { cid_immediate(0), cid_spare(1), (255) } ConnectionIdUsage;
 *   opaque ConnectionId<0..2^8-1>;
 *   struct {
 *     ConnectionId cids<0..2^16-1>;
 *     ConnectionIdUsage usage;
 *   } NewConnectionId;
 * "If usage is set to "cid_immediate", then one of the new CIDs MUST be used immediately for all
 * future records. If it is set to "cid_spare", then either an existing or new CID MAY be used."
 * An empty list is a valid answer to a RequestConnectionId judged excessive.
 */
export enum ConnectionIdUsage {
  cid_immediate = 0,
  cid_spare = 1,
}

export interface NewConnectionId {
  cids: Uint8Array[];
  usage: ConnectionIdUsage;
}

export function encodeNewConnectionId(m: NewConnectionId): Uint8Array {
  const listLength = m.cids.reduce((n, c) => n + 1 + c.length, 0);
  checkLength('cids', listLength, 0, 0xffff);
  const w = new Writer(3 + listLength);
  w.u16(listLength);
  for (const c of m.cids) writeVector8(w, 'ConnectionId', c, 1, 0xff);
  w.u8(m.usage);
  return w.finish();
}

/**
 * DecodeError on a malformed body; illegal_parameter for an unknown usage, for cid_immediate with
 * no CID to use, and for an empty CID (only an endpoint that receives CIDs sends this message, RFC
 * 9147 9, and an empty one cannot name a connection).
 */
export function decodeNewConnectionId(body: Uint8Array): NewConnectionId {
  const r = new Reader(body, 'NewConnectionId');
  const list = new Reader(r.vector16('cids'), 'cids');
  const usageByte = r.u8('usage');
  r.end();
  const cids: Uint8Array[] = [];
  while (list.remaining > 0) {
    const cid = list.vector8('ConnectionId');
    if (cid.length === 0) throw new IllegalParameterError('NewConnectionId: an empty CID');
    cids.push(cid);
  }
  let usage: ConnectionIdUsage;
  if (usageByte === 0) usage = ConnectionIdUsage.cid_immediate;
  else if (usageByte === 1) usage = ConnectionIdUsage.cid_spare;
  else throw new IllegalParameterError(`NewConnectionId: usage ${usageByte} is neither cid_immediate(0) nor cid_spare(1)`);
  if (usage === ConnectionIdUsage.cid_immediate && cids.length === 0) {
    throw new IllegalParameterError('NewConnectionId: cid_immediate without a CID to use');
  }
  return { cids, usage };
}
