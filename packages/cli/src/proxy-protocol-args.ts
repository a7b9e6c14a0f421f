/**
 * `dtls-kit server --proxy-protocol ADDR[,ADDR...]`: the load balancers (nginx with the script of
 * `dtls-kit lb-config`) whose datagrams start with a PROXY v2 header carrying the client's own
 * address; both runtimes' `proxyProtocol: { from }`. Checked here, a UsageError for a mistake.
 */
import { isIP } from 'node:net';

/** The addresses of `--proxy-protocol`, or undefined without the flag. */
export function proxyProtocolFlag(text: string | undefined, fail: (message: string) => Error): string[] | undefined {
  if (text === undefined) return undefined;
  const from = text.split(',').map((a) => a.trim());
  for (const address of from) {
    if (isIP(address) === 0) {
      throw fail(`--proxy-protocol takes the load balancers' IP addresses, comma-separated (e.g. 127.0.0.1,::1), got "${address}" in "${text}"`);
    }
  }
  return from;
}
