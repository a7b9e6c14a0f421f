// Runs in a worker thread once the handshake is done; what it returns goes back to the main thread.
export default function talk(conn, words) {
  console.log(`client: ${conn.getProtocol()} ${conn.getCipher().standardName}`);
  const echoed = [];
  for (const word of words) {
    conn.send(word);
    echoed.push(new TextDecoder().decode(conn.recv(5000))); // throws BlockingTimeoutError after 5 s
  }
  return echoed; // the connection is closed (close_notify) when the handler returns
}
