import { once } from 'node:events';
import { pskClient, pskServer } from '@dtls-kit/psk';
import type { DtlsSocket } from '../src/index.js';

export { sleep, until } from '@dtls-kit/test-kit';

export const KEY = '000102030405060708090a0b0c0d0e0f';
export const IDENTITY = 'Client_identity';

export const serverPsk = (): ReturnType<typeof pskServer> => pskServer({ keys: { [IDENTITY]: KEY } });
export const clientPsk = (identity = IDENTITY): ReturnType<typeof pskClient> => pskClient({ identity, key: KEY });

export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Echoes every message back on a server-side socket. */
export function echo(socket: DtlsSocket): void {
  socket.on('message', (m) => socket.send(m));
}

/** Sends `message` and waits for the next message. */
export async function roundTrip(socket: DtlsSocket, message: string): Promise<string> {
  const reply = once(socket, 'message') as Promise<[Buffer]>;
  socket.send(message);
  const [data] = await reply;
  return text(data);
}
