/** UDP sockets on 127.0.0.1 for our side of an interop test. */
import { createSocket, type Socket } from 'node:dgram';

/** A udp4 socket bound to a free port on 127.0.0.1. */
export function bindLoopback(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

/** Closes a socket; resolves at once if it is already closed. */
export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
