/** RFC 5246 7.2 — alert levels and descriptions (plus RFC 4279 unknown_psk_identity, RFC 7301). */
export enum AlertLevel {
  warning = 1,
  fatal = 2,
}

export enum AlertDescription {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  /** RFC 9147 9: more RequestConnectionId messages than the endpoint accepts. */
  too_many_cids_requested = 52,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  user_canceled = 90,
  no_renegotiation = 100,
  /** RFC 8446 6.2: a mandatory extension (e.g. signature_algorithms in a 1.3 CertificateRequest) is absent */
  missing_extension = 109,
  unsupported_extension = 110,
  unrecognized_name = 112,
  unknown_psk_identity = 115,
  /** RFC 8446 6.2: a server requiring a client certificate got none. */
  certificate_required = 116,
  no_application_protocol = 120,
}

/** The readable name of an alert code, or `alert_<n>` for codes we do not know. */
export function alertName(description: number): string {
  const name: unknown = AlertDescription[description];
  return typeof name === 'string' ? name : `alert_${description}`;
}
