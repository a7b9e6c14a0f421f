export { sleep, until } from '@dtls-kit/test-kit';

export const KEY = '000102030405060708090a0b0c0d0e0f';
export const IDENTITY = 'Client_identity';

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
export const serverCredentials = { psk: { keys: { [IDENTITY]: KEY } } };
export const clientCredentials = { psk: { identity: IDENTITY, key: KEY } };

export interface RoundTripResult {
  replies: (string | null)[];
  cipher?: string;
  threadId: number;
  identity?: string;
  timedOut?: string;
}
