export const KEY = '000102030405060708090a0b0c0d0e0f';
export const IDENTITY = 'Client_identity';

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
export const serverCredentials = { psk: { keys: { [IDENTITY]: KEY } } };
export const clientCredentials = { psk: { identity: IDENTITY, key: KEY } };
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RoundTripResult {
  replies: (string | null)[];
  cipher?: string;
  threadId: number;
  identity?: string;
  timedOut?: string;
}

export async function until(predicate: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
