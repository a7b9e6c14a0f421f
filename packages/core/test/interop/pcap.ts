/**
 * A minimal pcap file writer for tests: each datagram becomes an IPv4/UDP packet with synthesized
 * headers (LINKTYPE_RAW), so tools like tshark can read an in-memory session without capturing
 * anything (no privileges, no real interface).
 *
 * Format: the classic libpcap file (magic 0xa1b2c3d4, version 2.4), one 16-byte record header per
 * packet (seconds, microseconds, captured length, original length), all little-endian here.
 */

/** One UDP datagram between two IPv4 endpoints, at `timeMs` since the capture started. */
export interface PcapDatagram {
  timeMs: number;
  from: { address: string; port: number };
  to: { address: string; port: number };
  payload: Uint8Array;
}

/** LINKTYPE_RAW: each packet begins with its IPv4 (or IPv6) header. */
const LINKTYPE_RAW = 101;

function ipv4(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${address}`);
  }
  return parts;
}

/** RFC 791 3.1: the one's complement of the one's complement sum of the header's 16-bit words. */
function ipChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] ?? 0) << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** IPv4 header (RFC 791) + UDP header (RFC 768, checksum 0 = none) + payload. */
function packet(d: PcapDatagram, id: number): Uint8Array {
  const total = 20 + 8 + d.payload.length;
  if (total > 0xffff) throw new RangeError(`datagram too large for IPv4: ${d.payload.length}`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = 0x45; // version 4, IHL 5
  v.setUint16(2, total);
  v.setUint16(4, id & 0xffff);
  v.setUint16(6, 0x4000); // don't fragment
  out[8] = 64; // TTL
  out[9] = 17; // UDP
  out.set(ipv4(d.from.address), 12);
  out.set(ipv4(d.to.address), 16);
  v.setUint16(10, ipChecksum(out.subarray(0, 20)));
  v.setUint16(20, d.from.port);
  v.setUint16(22, d.to.port);
  v.setUint16(24, 8 + d.payload.length);
  out.set(d.payload, 28);
  return out;
}

/** The bytes of a pcap file holding `datagrams` in order. */
export function pcapFile(datagrams: readonly PcapDatagram[]): Uint8Array {
  const packets = datagrams.map((d, i) => packet(d, i + 1));
  const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, 65535, true); // snaplen
  v.setUint32(20, LINKTYPE_RAW, true);
  let at = 24;
  packets.forEach((p, i) => {
    const ms = datagrams[i]?.timeMs ?? 0;
    v.setUint32(at, Math.floor(ms / 1000), true);
    v.setUint32(at + 4, Math.floor((ms % 1000) * 1000), true);
    v.setUint32(at + 8, p.length, true);
    v.setUint32(at + 12, p.length, true);
    out.set(p, at + 16);
    at += 16 + p.length;
  });
  return out;
}
