// Runs in a worker thread, one connection at a time: recv() blocks this worker only.
export default function echo(conn) {
  console.log(`server: ${conn.remoteAddress}:${conn.remotePort} connected as ${conn.pskIdentity} (${conn.getCipher().name})`);
  for (let message; (message = conn.recv()) !== null; ) conn.send(message); // null: the client closed
  console.log('server: client closed');
}
