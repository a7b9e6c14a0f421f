/**
 * What people type after years of `openssl s_client` / `s_server`: single-dash options with
 * underscores. parseArgs would read `-connect` as the short options `-c -o -n ...` and say
 * "Unknown option '-c'"; this names the dtls-kit flag instead.
 */

/** openssl's option (without its dash) → the suggestion, in the words of `dtls-kit --help`. */
const SPELLINGS: Readonly<Record<string, string>> = {
  connect: '--host H --port P',
  accept: '--port P (and --host H)',
  port: '--port',
  host: '--host',
  psk: '--psk',
  psk_identity: '--psk-identity',
  psk_hint: '--psk-hint',
  cipher: '--cipher',
  ciphersuites: '--cipher',
  no_etm: '--no-etm',
  CAfile: '--ca',
  cert: '--cert',
  key: '--key',
  pass: '--pass',
  servername: '--servername',
  alpn: '--alpn',
  use_srtp: '--srtp LIST',
  mtu: '--mtu',
  maxfraglen: '--maxfraglen (client)',
  keylogfile: '--keylog',
  trace: '--trace',
  msg: '--trace',
  state: '--trace',
  Verify: '--verify (with --ca FILE)',
  verify: '--verify (server, with --ca FILE); a dtls-kit client checks the certificate by default',
  verify_return_error: 'nothing: a dtls-kit client fails on a certificate it cannot verify (--insecure skips the check)',
  naccept: '--once (one connection, then exit)',
  timeout: '--timeout SECONDS (client) or --idle-timeout MS (server)',
  sess_out: '--sess-out FILE',
  sess_in: '--sess-in FILE',
  reconnect: '--reconnect',
  no_ticket: '--no-ticket',
  dtls1_2: '--dtls1_2',
  dtls1_3: '--dtls1_3',
  help: '--help',
  version: '--version',
};

/** openssl options dtls-kit needs no equivalent of, and why. */
const NOT_NEEDED: Readonly<Record<string, string>> = {
  dtls: 'dtls-kit speaks DTLS (1.3 preferred and 1.2 accepted by default; --dtls1_3 or --dtls1_2 for one version)',
  dtls1: 'DTLS 1.0 is not supported (--dtls1_2 or --dtls1_3)',
  keymatexport: 'with --srtp the SRTP keying material (label EXTRACTOR-dtls_srtp, RFC 5764 4.2) is printed',
  keymatexportlen: 'with --srtp the SRTP keying material is printed at the length its profile needs',
  listen: 'dtls-kit server always does the cookie exchange (a HelloVerifyRequest in DTLS 1.2, RFC 6347 4.2.1; a HelloRetryRequest in 1.3, RFC 9147 5.1)',
  nbio: 'dtls-kit never blocks on the socket',
  no_ign_eof: 'the client closes (close_notify) once stdin ends and the replies are in',
  quiet: 'the server prints one line per connection on stderr and nothing on stdout',
  nocert: 'give --psk without --cert',
  'no-CAfile': 'without --ca the client uses node\'s bundled roots; --insecure skips the check',
  'no-CApath': 'without --ca the client uses node\'s bundled roots; --insecure skips the check',
  'no-CAstore': 'without --ca the client uses node\'s bundled roots; --insecure skips the check',
};

/** `host:port` or `[v6]:port` split for the `-connect` suggestion; undefined when it is not one. */
function hostPort(text: string): { host: string | undefined; port: string } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (m === null) return undefined;
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port: m[3] ?? '' };
}

/**
 * The message for a single-dash option such as `-connect` (the word after the dash, and the
 * argument after it, for `-connect 127.0.0.1:4433`), or undefined when it is no openssl spelling.
 */
export function opensslSpelling(word: string, next: string | undefined): string | undefined {
  if (word === 'connect' || word === 'accept') {
    const at = next === undefined ? undefined : hostPort(next);
    if (at !== undefined) {
      const flags = `${at.host === undefined ? '' : `--host ${at.host} `}--port ${at.port}`;
      return `"-${word}" is openssl's spelling: did you mean ${flags}?`;
    }
  }
  const flag = SPELLINGS[word];
  if (flag !== undefined) return `"-${word}" is openssl's spelling: did you mean ${flag}?`;
  const why = NOT_NEEDED[word];
  if (why !== undefined) return `"-${word}" is openssl's; dtls-kit needs no such option: ${why}`;
  return undefined;
}
