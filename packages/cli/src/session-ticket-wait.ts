import type { EstablishedDtlsSocket } from '@dtls-kit/nonblocking';

/**
 * The next session a connection announces ('session', node:tls), or undefined when none comes
 * within `ms` or the connection closes first. DTLS 1.3 (RFC 8446 4.6.1): the server sends its
 * NewSessionTicket after the handshake, so a 1.3 session to resume with arrives after connect()
 * resolved (a DTLS 1.2 session is there when it resolves: getSession()). Call it right after
 * connect() resolves: a ticket is read on a later turn of the event loop.
 */
export function nextSession(socket: EstablishedDtlsSocket, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (session: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.off('session', onSession);
      socket.off('close', onClose);
      resolve(session);
    };
    const onSession = (session: Buffer): void => done(session);
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    socket.on('session', onSession);
    socket.on('close', onClose);
  });
}
