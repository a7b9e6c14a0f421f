import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { DecodeError, IllegalParameterError } from '../../errors.js';
import { checkLength } from '../vectors.js';

/*
 * RFC 6066 3:
 *   struct {
 *     NameType name_type;
 *     select (name_type) { case host_name: HostName; } name;
 *   } ServerName;
 *   enum { host_name(0), (255) } NameType;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 *
 * "The ServerNameList MUST NOT contain more than one name of the same name_type." Names of
 * other types are skipped, read like host_name (a 2-byte length), as deployed stacks do.
 * A server that accepts the name answers with an empty extension_data.
 */

/**
 * The name a client puts in server_name for `servername`: RFC 6066 3, "Literal IPv4 and IPv6
 * addresses are not permitted in HostName", so an address sends nothing (undefined), as node:tls
 * does; the connection's `servername` is then undefined too: it says what was sent.
 */
export function serverNameToSend(servername: string | undefined): string | undefined {
  if (servername === undefined || isIpLiteral(servername)) return undefined;
  return servername;
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** NameType host_name (RFC 6066 3). */
export const SERVER_NAME_TYPE_HOST_NAME = 0;

/**
 * A ServerNameList holding one host_name. RFC 6066 3: "the fully qualified DNS hostname ...
 * in ASCII encoding, without a trailing dot"; we check ASCII only (RangeError otherwise).
 */
export function encodeServerName(hostName: string): Uint8Array {
  const name = asciiBytes(hostName);
  checkLength('HostName', name.length, 1, 0xffff - 3);
  return new Writer(5 + name.length)
    .u16(3 + name.length)
    .u8(SERVER_NAME_TYPE_HOST_NAME)
    .u16(name.length)
    .bytes(name)
    .finish();
}

/**
 * The host_name of a ServerNameList, undefined when the list has none or the
 * extension_data is empty (a server's acknowledgement). DecodeError for bytes outside
 * printable ASCII; IllegalParameterError for two names of one type.
 */
export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const r = new Reader(data, 'server_name');
  const list = new Reader(r.vector16('server_name_list', 1), 'server_name_list');
  r.end();
  const seen = new Set<number>();
  let hostName: string | undefined;
  while (list.remaining > 0) {
    const type = list.u8('name_type');
    const name = list.vector16('HostName', 1);
    if (seen.has(type)) throw new IllegalParameterError(`server_name: name_type ${type} appears twice`);
    seen.add(type);
    if (type === SERVER_NAME_TYPE_HOST_NAME) hostName = asciiString(name);
  }
  return hostName;
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new RangeError(`server_name: host name is not printable ASCII`);
    out[i] = c;
  }
  return out;
}

function asciiString(bytes: Uint8Array): string {
  let s = '';
  for (const c of bytes) {
    if (c < 0x21 || c > 0x7e) throw new DecodeError(`server_name: host name byte 0x${c.toString(16)} is not printable ASCII`);
    s += String.fromCharCode(c);
  }
  return s;
}
