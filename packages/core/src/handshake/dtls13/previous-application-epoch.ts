import type { NegotiatedParameters } from '../common/negotiated-parameters.js';

/**
 * Whether application data of `epoch` still counts although the read epoch is `readEpoch`: in
 * DTLS 1.3 a peer that sent a KeyUpdate keeps sending under its old keys until we acknowledge it
 * (RFC 9147 8: "the sender MUST NOT send records with the new keys until the KeyUpdate has been
 * acknowledged"), and such records may also arrive late; the record layer opens them as long as
 * it keeps the old epoch. Only application epochs (3 on, RFC 9147 6.1) qualify; DTLS 1.2 reads
 * its current epoch only.
 */
export function previousApplicationEpoch13(negotiated: Pick<NegotiatedParameters, 'tls13Suite'>, epoch: number, readEpoch: number): boolean {
  return negotiated.tls13Suite !== undefined && epoch >= 3 && epoch < readEpoch;
}
