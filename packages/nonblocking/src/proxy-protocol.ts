/**
 * The PROXY protocol version 2 header (haproxy's proxy-protocol.txt, section 2.2), as a load
 * balancer in front of several server processes puts it before each datagram: the client's own
 * address, which the server would otherwise never see (it sees the balancer's). dtls-kit's njs
 * script for nginx (`dtls-kit lb-config`) writes one before every datagram it forwards.
 *
 * A pure codec: it reads the header of one datagram and says where the payload starts. The
 * server trusts it only from the addresses given in `proxyProtocol.from` (a header is only as
 * true as whoever wrote it).
 */
import { isIP } from 'node:net';

/** proxy-protocol.txt 2.2: the 12-byte signature, "\r\n\r\n\0\r\nQUIT\n". */
export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);

/** The fixed part: signature, version and command, family and transport, length. */
const FIXED_BYTES = 16;

/** What a header says, and where the datagram's payload starts. */
export type ProxyHeader =
  | {
      readonly type: 'proxy';
      /** The client: the source address of the proxied datagram. */
      readonly source: { readonly address: string; readonly port: number };
      /** Where the client sent it (the balancer's listening address). */
      readonly destination: { readonly address: string; readonly port: number };
      /** Bytes of header (16 + the length field): the payload starts here. */
      readonly length: number;
    }
  | {
      /**
       * LOCAL (the balancer's own traffic, or an address it could not express), or PROXY over a
       * family or transport not read here (UNSPEC, UNIX): the spec says to use the datagram's own
       * source. Its length still says where the payload starts.
       */
      readonly type: 'local';
      readonly length: number;
    };

/** Why a datagram's header was refused (the datagram is dropped). */
export type ProxyHeaderError = 'short' | 'signature' | 'version' | 'command' | 'family' | 'length';

/**
 * Reads the PROXY v2 header at the start of `datagram`. Never throws; every length is checked
 * against the datagram before it is read.
 */
export function parseProxyV2(datagram: Uint8Array): ProxyHeader | { readonly type: 'error'; readonly error: ProxyHeaderError } {
  const fail = (error: ProxyHeaderError): { type: 'error'; error: ProxyHeaderError } => ({ type: 'error', error });
  if (datagram.length < FIXED_BYTES) return fail('short');
  for (let i = 0; i < PROXY_V2_SIGNATURE.length; i++) if (datagram[i] !== PROXY_V2_SIGNATURE[i]) return fail('signature');
  const verCmd = datagram[12] ?? 0;
  // 2.2: "The highest four bits contains the version. As of this specification, it must always
  // be sent as \x2 and the receiver must only accept this value."
  if (verCmd >> 4 !== 0x2) return fail('version');
  const command = verCmd & 0x0f;
  // 2.2: \x0 LOCAL, \x1 PROXY; "other values are unassigned ... receivers must drop".
  if (command !== 0x0 && command !== 0x1) return fail('command');
  const fam = datagram[13] ?? 0;
  const family = fam >> 4;
  const transport = fam & 0x0f;
  // 2.2: families 0..3 and transports 0..2 only; "other values ... must be rejected as invalid".
  if (family > 0x3 || transport > 0x2) return fail('family');
  const addressBytes = ((datagram[14] ?? 0) << 8) | (datagram[15] ?? 0);
  const length = FIXED_BYTES + addressBytes;
  // 2.2: "the length of the protocol header in bytes is always exactly 16 + this value".
  if (length > datagram.length) return fail('length');
  if (command === 0x0) return { type: 'local', length };
  if (fam === 0x11 || fam === 0x12) {
    // \x11 TCP / \x12 UDP over IPv4: 2*4 + 2*2 = 12 bytes (TLVs may follow, inside the length).
    if (addressBytes < 12) return fail('length');
    const at = FIXED_BYTES;
    return {
      type: 'proxy',
      source: { address: ipv4(datagram, at), port: u16(datagram, at + 8) },
      destination: { address: ipv4(datagram, at + 4), port: u16(datagram, at + 10) },
      length,
    };
  }
  if (fam === 0x21 || fam === 0x22) {
    // \x21 TCP / \x22 UDP over IPv6: 2*16 + 2*2 = 36 bytes.
    if (addressBytes < 36) return fail('length');
    const at = FIXED_BYTES;
    return {
      type: 'proxy',
      source: { address: ipv6(datagram, at), port: u16(datagram, at + 32) },
      destination: { address: ipv6(datagram, at + 16), port: u16(datagram, at + 34) },
      length,
    };
  }
  // UNSPEC or UNIX: "the receiver ... may accept the connection anyway and use the real endpoints".
  return { type: 'local', length };
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at] ?? 0}.${b[at + 1] ?? 0}.${b[at + 2] ?? 0}.${b[at + 3] ?? 0}`;
}

/** An IPv6 address as node:dgram writes a peer's (compressed; an IPv4-mapped one as ::ffff:a.b.c.d). */
function ipv6(b: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(u16(b, at + 2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${ipv4(b, at + 12)}`;
  // RFC 5952 4.2: the longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** `proxyProtocol` of createServer(): from which addresses a PROXY v2 header is read and believed. */
export interface ProxyProtocolOptions {
  /**
   * The load balancers' addresses (as node:dgram reports a datagram's source, e.g. '127.0.0.1',
   * '::1'). Every datagram from one of them must start with a PROXY v2 header (else it is dropped
   * and counted as `proxyHeader`); datagrams from anywhere else are read as they are.
   */
  readonly from: readonly string[];
}

/** Checks the option once, up front; the set of trusted addresses. */
export function proxyProtocolSources(option: ProxyProtocolOptions | undefined): ReadonlySet<string> | undefined {
  if (option === undefined) return undefined;
  const from: unknown = option.from;
  if (!Array.isArray(from) || from.length === 0) throw new TypeError('proxyProtocol.from must be a non-empty array of IP addresses (the load balancers)');
  const out = new Set<string>();
  for (const address of from) {
    if (typeof address !== 'string' || isIP(address) === 0) throw new TypeError(`proxyProtocol.from: "${String(address)}" is not an IP address`);
    out.add(address);
  }
  return out;
}
