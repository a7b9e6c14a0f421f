/**
 * RFC 5246 7.4 HandshakeType, with RFC 6347 4.3.2 hello_verify_request, and the TLS 1.3 / DTLS 1.3
 * additions (RFC 8446 B.3, RFC 9147 A.2).
 */
export enum HandshakeType {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  hello_verify_request = 3,
  /** RFC 5077 3.3 */
  new_session_ticket = 4,
  /** RFC 8446 4.5 (TLS 1.3) */
  end_of_early_data = 5,
  /** RFC 8446 4.3.1 (TLS 1.3) */
  encrypted_extensions = 8,
  /** RFC 9147 9 (DTLS 1.3) */
  request_connection_id = 9,
  /** RFC 9147 9 (DTLS 1.3) */
  new_connection_id = 10,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  client_key_exchange = 16,
  finished = 20,
  /** RFC 8446 4.6.3 (TLS 1.3) */
  key_update = 24,
  /** RFC 8446 4.4.1: the synthetic message that stands for ClientHello1 after a HelloRetryRequest */
  message_hash = 254,
}
