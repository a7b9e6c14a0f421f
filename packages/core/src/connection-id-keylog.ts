import { toHex } from './bytes.js';
import type { DtlsConnection } from './connection.js';

/**
 * The key log comment that names a session's connection IDs (RFC 9146), for the line before its
 * `CLIENT_RANDOM` line in an SSLKEYLOGFILE:
 *
 *   # CONNECTION_ID <client random hex> receive=<hex> send=<hex>
 *
 * The NSS key log format lets a line start with `#` as a comment, so tools that read the file
 * (Wireshark, tshark) skip it; a person reading a capture learns which CIDs the tls12_cid records
 * (content type 25, whose header does not say how long the CID is, RFC 9146 4) carry. `receive`
 * is the CID the writer's peer puts in the records it sends to the writer, `send` the one the
 * writer puts in its own (DtlsConnection.connectionId); an empty CID ("no CID that way", RFC
 * 9146 3) is written `-`. Without a newline, as DtlsConnection.keyLogLine; undefined when no
 * connection_id extension was negotiated or the handshake has no client random yet. Every runtime
 * writes this one function's line, so that key logs from both look alike.
 */
export function connectionIdKeyLogComment(conn: Pick<DtlsConnection, 'connectionId' | 'clientRandom'>): string | undefined {
  const cid = conn.connectionId;
  const random = conn.clientRandom;
  if (cid === undefined || random === undefined) return undefined;
  return `# CONNECTION_ID ${toHex(random)} receive=${cidText(cid.receive)} send=${cidText(cid.send)}`;
}

function cidText(cid: Uint8Array): string {
  return cid.length === 0 ? '-' : toHex(cid);
}
