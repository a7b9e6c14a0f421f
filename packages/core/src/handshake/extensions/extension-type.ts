/** IANA TLS ExtensionType values we know (RFC 5246 7.4.1.4 and the RFCs named per entry). */
export enum ExtensionType {
  /** RFC 6066 3 */
  server_name = 0,
  /** RFC 6066 4 */
  max_fragment_length = 1,
  /** RFC 6066 8 (OCSP stapling; listed for the RFC 8446 4.2 table) */
  status_request = 5,
  /** RFC 8422 5.1.1 (formerly elliptic_curves) */
  supported_groups = 10,
  /** RFC 8422 5.1.2 */
  ec_point_formats = 11,
  /** RFC 5246 7.4.1.4.1 */
  signature_algorithms = 13,
  /** RFC 5764 4.1.1 (DTLS-SRTP) */
  use_srtp = 14,
  /** RFC 6520 2 (listed for the RFC 8446 4.2 table) */
  heartbeat = 15,
  /** RFC 7301 3.1 */
  application_layer_protocol_negotiation = 16,
  /** RFC 6962 3.3.1 (listed for the RFC 8446 4.2 table) */
  signed_certificate_timestamp = 18,
  /** RFC 7250 4.1 */
  client_certificate_type = 19,
  /** RFC 7250 4.1 */
  server_certificate_type = 20,
  /** RFC 7685 3 */
  padding = 21,
  /** RFC 7366 */
  encrypt_then_mac = 22,
  /** RFC 7627 5.1 */
  extended_master_secret = 23,
  /** RFC 8449 4 */
  record_size_limit = 28,
  /** RFC 5077 3.2 */
  session_ticket = 35,
  /** RFC 8446 4.2.11 (TLS 1.3) */
  pre_shared_key = 41,
  /** RFC 8446 4.2.10 (TLS 1.3) */
  early_data = 42,
  /** RFC 8446 4.2.1 (TLS 1.3) */
  supported_versions = 43,
  /** RFC 8446 4.2.2 (TLS 1.3) */
  cookie = 44,
  /** RFC 8446 4.2.9 (TLS 1.3) */
  psk_key_exchange_modes = 45,
  /** RFC 8446 4.2.4 (TLS 1.3) */
  certificate_authorities = 47,
  /** RFC 8446 4.2.5 (TLS 1.3) */
  oid_filters = 48,
  /** RFC 8446 4.2.6 (TLS 1.3) */
  post_handshake_auth = 49,
  /** RFC 8446 4.2.3 (TLS 1.3) */
  signature_algorithms_cert = 50,
  /** RFC 8446 4.2.8 (TLS 1.3) */
  key_share = 51,
  /** RFC 9146 3 */
  connection_id = 54,
  /** RFC 9853 3 (return routability check) */
  rrc = 61,
  /** RFC 5746 3.2 */
  renegotiation_info = 0xff01,
}
