/** RFC 5246 6.2.1 / RFC 6347 4.1 — ContentType of a record. */
export enum ContentType {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
  /** RFC 9146 4: the outer type of a record carrying a connection ID; the real type is inside. */
  tls12_cid = 25,
  /** RFC 9853 4: path_challenge / path_response / path_drop, protected with the current keys. */
  return_routability_check = 27,
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

/**
 * The content types a record may carry: DTLS 1.2's four and RFC 9853's return_routability_check
 * (in a tls12_cid record, or a plain one where the CID of that direction is empty, RFC 9853 7.2).
 * The connection reads the latter only when the rrc extension was negotiated, protected, in the
 * current epoch; anywhere else it is dropped.
 */
export function isRecordContentType(type: number): boolean {
  return isKnownContentType(type) || type === ContentType.return_routability_check;
}
