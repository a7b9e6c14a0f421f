// The blocking server's handler for nat-rebinding-blocking.test.ts (runs in a worker): echoes
// every message, checks each numbered one is intact and new, counts the connection's own
// 'remoteAddressChange' events; 'report' answers with what it saw.
const PAYLOAD = (i) => `m${i}:${'abcdefghijklmnopqrstuvwxyz'.repeat(1 + (i % 4)).slice(0, 20 + (i % 60))}`;

export default function natHandler(conn) {
  const seen = new Set();
  let duplicates = 0;
  let corrupt = 0;
  let changes = 0;
  let lastChange = null;
  // (Guarded so that the same run against a runtime without the event shows what fails: the routing.)
  if (typeof conn.on === 'function') {
    conn.on('remoteAddressChange', (current, previous) => {
      changes++;
      lastChange = { current, previous };
    });
  }
  const decoder = new TextDecoder();
  for (let m; (m = conn.recv()) !== null; ) {
    const text = decoder.decode(m);
    if (text === 'report') {
      conn.send(JSON.stringify({ delivered: seen.size, duplicates, corrupt, changes, lastChange, address: conn.remoteAddress, port: conn.remotePort, family: conn.remoteFamily }));
      continue;
    }
    // Sent by the test only to give the server's sending budget to the client's current address
    // (RFC 9853 5, see the test): not echoed, not counted.
    if (text.startsWith('flush')) continue;
    const n = /^m(\d+):/.exec(text);
    if (n) {
      if (text !== PAYLOAD(Number(n[1]))) corrupt++;
      else if (seen.has(text)) duplicates++;
      else seen.add(text);
    }
    conn.send(m);
  }
}
