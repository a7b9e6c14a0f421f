import { peerKey } from '@dtls-kit/core';

/** `address:port`, IPv6 addresses in brackets (core's peerKey: one form everywhere). */
export function peerName(address: string, port: number): string {
  return peerKey({ address, port });
}
