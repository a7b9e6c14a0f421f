/**
 * SignatureAndHashAlgorithm of RFC 5246 7.4.1.4.1 read as one uint16 (hash << 8 | signature),
 * which is how RFC 8446 4.2.3 names them as SignatureScheme; TLS 1.2 uses the same code points
 * (RFC 8422 5.1.3 for ed25519, RFC 8446 4.2.3 for rsa_pss_rsae_*).
 */
export enum SignatureScheme {
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807,
}
