// Both loops run in worker threads. The server echoes; the client sends three words.
import { describeCertificate } from '@dtls-kit/x509';

export function echo(conn) {
  const leaf = conn.getPeerCertificate()?.raw;
  const subject = leaf ? describeCertificate(leaf).subject : '(none asked for)';
  console.log(`server: ${conn.remoteAddress}:${conn.remotePort} connected with ${conn.getProtocol()} ${conn.getCipher().name}, client certificate "${subject}" (worker thread ${conn.threadId})`);
  for (let message; (message = conn.recv()) !== null; ) {
    console.log(`server: received "${new TextDecoder().decode(message)}", echoing it`);
    conn.send(message);
  }
  console.log('server: client closed the connection');
}

export function talk(conn, words) {
  const leaf = conn.getPeerCertificate()?.raw;
  console.log(`client: connected with ${conn.getProtocol()} ${conn.getCipher().name} to "${leaf ? describeCertificate(leaf).subject : '?'}" (authorized: ${conn.authorized})`);
  for (const word of words) {
    conn.send(word);
    console.log(`client: sent "${word}", got back "${new TextDecoder().decode(conn.recv(5000))}"`);
  }
  conn.close();
}
