import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint16List, writeUint16List } from '../vectors.js';

/*
 * RFC 8422 5.1.1:
 *   struct { NamedGroup named_group_list<2..2^16-1>; } NamedGroupList;
 * (NamedGroup is a uint16, so the list holds 1..32767 groups.)
 */

export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  const w = new Writer(2 + groups.length * 2);
  writeUint16List(w, 'named_group_list', groups, 2, 0xffff);
  return w.finish();
}

export function decodeSupportedGroups(data: Uint8Array): number[] {
  const r = new Reader(data, 'supported_groups');
  const groups = readUint16List(r, 'named_group_list', 2, 0xffff);
  r.end();
  return groups;
}
