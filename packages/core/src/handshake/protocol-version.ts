/**
 * ProtocolVersion values on the wire (RFC 6347 4.1: the one's complement of the DTLS
 * version, so 1.2 is {254, 253} and 1.0 is {254, 255}).
 */
export const DTLS_1_2 = 0xfefd;
/**
 * DTLS 1.0. RFC 6347 4.2.1: a server sends HelloVerifyRequest with version DTLS 1.0
 * whatever it negotiates, and records before the version is agreed often carry it too.
 */
export const DTLS_1_0 = 0xfeff;
/**
 * DTLS 1.3 (RFC 9147 5.3): it appears only in the supported_versions extension; the hellos'
 * legacy_version fields stay DTLS 1.2.
 */
export const DTLS_1_3 = 0xfefc;
