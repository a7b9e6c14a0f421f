/**
 * RFC 5246 7.4.9: struct { opaque verify_data[verify_data_length]; } Finished;
 * verify_data_length is 12 for every cipher suite we run; the body is taken whole and the
 * caller compares it (length included) in constant time with the expected value.
 */
export interface Finished {
  verifyData: Uint8Array;
}

export function encodeFinished(m: Finished): Uint8Array {
  return m.verifyData.slice();
}

export function decodeFinished(body: Uint8Array): Finished {
  return { verifyData: body.slice() };
}
