// Runs in a worker thread once the handshake is done: send, then block in recv() for the echo.
export default function talk(conn, words) {
  console.log(`client: connected with ${conn.getProtocol()} ${conn.getCipher().name} (worker thread ${conn.threadId})`);
  for (const word of words) {
    conn.send(word);
    const reply = new TextDecoder().decode(conn.recv(5000)); // throws after 5 s without a reply
    console.log(`client: sent "${word}", got back "${reply}"`);
  }
  conn.close(); // close_notify
}
