/** RFC 5246 6.2.1 / RFC 6347 4.1 — ContentType of a record. */
export enum ContentType {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
  /** RFC 9146 4: the outer type of a record carrying a connection ID; the real type is inside. */
  tls12_cid = 25,
}

/** True for the four content types DTLS 1.2 defines; anything else is an invalid record (RFC 6347 4.1.2.7). */
export function isKnownContentType(type: number): boolean {
  return (
    type === ContentType.change_cipher_spec ||
    type === ContentType.alert ||
    type === ContentType.handshake ||
    type === ContentType.application_data
  );
}
