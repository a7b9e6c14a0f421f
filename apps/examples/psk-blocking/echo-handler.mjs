// Runs in a worker thread, one connection at a time: the classic blocking loop.
// recv() does not return until a message is there; null means the client closed.
export default function echo(conn) {
  console.log(`server: ${conn.remoteAddress}:${conn.remotePort} connected as "${conn.pskIdentity}" with ${conn.getCipher().name} (worker thread ${conn.threadId})`);
  for (let message; (message = conn.recv()) !== null; ) {
    console.log(`server: received "${new TextDecoder().decode(message)}", echoing it`);
    conn.send(message);
  }
  console.log('server: client closed the connection');
}
