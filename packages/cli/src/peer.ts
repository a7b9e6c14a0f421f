/** `address:port`, IPv6 addresses in brackets. */
export function peerName(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
