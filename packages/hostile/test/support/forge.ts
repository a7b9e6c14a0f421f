/**
 * Records an attacker writes by hand: plaintext (epoch 0) records around any payload, with the
 * record sequence number of its choosing (RFC 6347 4.1 DTLSPlaintext header).
 */

/** DTLS 1.2 on the wire (RFC 6347 4.1). */
const DTLS_1_2 = 0xfefd;

/** One DTLSPlaintext record: type, version, epoch, 48-bit sequence number, length, payload. */
export function plaintextRecord(type: number, epoch: number, sequenceNumber: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(DTLS_1_2, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUIntBE(sequenceNumber, 5, 6);
  header.writeUInt16BE(payload.length, 11);
  return Buffer.concat([header, payload]);
}
