// The blocking server's handler for the handshake benchmark: the handshake is done when it runs;
// it waits for the client's close_notify (recv() returns null), as a real connection would.
export default function handshakeOnly(conn) {
  try {
    while (conn.recv(2000) !== null);
  } catch {
    // a client that left without close_notify: the worker is freed all the same
  }
}
