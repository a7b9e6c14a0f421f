/*
 * dtls-kit routing for nginx's stream module (njs 0.7+; `dtls-kit lb-config` writes the nginx
 * configuration that imports this file). Two handlers:
 *
 * preread(s)       js_preread: looks at the first datagram of an nginx UDP session (a new client
 *                  address and port) and sets $dtls_upstream to the upstream that gets the
 *                  session: a DTLS 1.2 record with a connection ID (content type tls12_cid, RFC 9146
 *                  4) goes to `dtls_backend_N`, N being the CID's first byte (the server id the
 *                  backend puts first in every CID it issues); anything else (a ClientHello, a
 *                  plain record, a CID naming no backend, garbage) goes to `dtls_hash`, nginx's
 *                  consistent hash of the client's address and port. A NAT that rebinds the
 *                  client's port makes a new nginx session: its first record carries the CID, so
 *                  it lands on the process that holds the connection.
 *
 * proxyHeader(s)   js_filter: prepends a PROXY protocol version 2 header (haproxy's
 *                  proxy-protocol.txt 2.2: \x21 PROXY, \x12 UDP over IPv4 or \x22 over IPv6) with
 *                  the client's address and port to EVERY datagram towards the backend, so that a
 *                  dtls-kit server started with `proxyProtocol: { from: [nginx's address] }` sees the
 *                  true client address (cookies, per-address limits, logs, remoteAddress). nginx's
 *                  own `proxy_protocol on` is no use for UDP: it sends a version 1 text line, on the
 *                  first datagram of a session only (checked with nginx 1.22.1).
 *
 * Malformed input never throws out of a handler: it falls back to the hash (preread) or to a
 * LOCAL header (proxyHeader: "use the datagram's own source", spec 2.2). The one exception let
 * out on purpose is a failed send to a dead backend (see proxyHeader), to end that session.
 */

/** The number of backends (`js_var $dtls_backends N;`), or 0 when unset or not a number. */
function backendCount(s) {
  var n = Number(s.variables.dtls_backends);
  return n >= 0 && n <= 256 ? Math.floor(n) : 0;
}

/**
 * The server id a datagram's first record names, or -1. `b` is a Buffer (njs's 'upstream' event).
 * RFC 9146 4: a tls12_cid record is type 25, version {254, 253}, epoch (2 bytes), sequence number
 * (6 bytes), then the CID: its first byte is at offset 11. RFC 9147 4: a DTLS 1.3 unified header
 * (first byte 001CSLEE) with the C bit set carries the CID right after its first byte.
 */
function serverIdOf(b) {
  if (b.length >= 12 && b[0] === 25 && b[1] === 254 && b[2] === 253) return b[11];
  if (b.length >= 2 && (b[0] & 0xe0) === 0x20 && (b[0] & 0x10) !== 0) return b[1];
  return -1;
}

/** The upstream name for a session whose first datagram is `b`, among `n` backends. */
function upstreamFor(b, n) {
  var id = serverIdOf(b);
  return id >= 0 && id < n ? 'dtls_backend_' + id : 'dtls_hash';
}

function preread(s) {
  s.on('upstream', function (data, flags) {
    var target = 'dtls_hash';
    try {
      target = upstreamFor(data, backendCount(s));
    } catch (e) {
      target = 'dtls_hash';
    }
    s.variables.dtls_upstream = target;
    s.off('upstream');
    s.done();
  });
}

var SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** The 4 bytes of a dotted IPv4 address, or null. */
function ipv4Bytes(text) {
  var parts = String(text).split('.');
  if (parts.length !== 4) return null;
  var out = [];
  for (var i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i])) return null;
    var v = Number(parts[i]);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

/** The 16 bytes of an IPv6 address ('::' compression, an IPv4 tail), or null. */
function ipv6Bytes(text) {
  var t = String(text);
  var halves = t.split('::');
  if (halves.length > 2) return null;
  function groups(part) {
    if (part === '') return [];
    var g = part.split(':');
    var out = [];
    for (var i = 0; i < g.length; i++) {
      if (i === g.length - 1 && g[i].indexOf('.') >= 0) {
        var v4 = ipv4Bytes(g[i]);
        if (v4 === null) return null;
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g[i])) return null;
        out.push(parseInt(g[i], 16));
      }
    }
    return out;
  }
  var head = groups(halves[0]);
  var tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  var missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  var all = head.slice();
  for (var k = 0; k < missing; k++) all.push(0);
  all = all.concat(tail);
  var bytes = [];
  for (var j = 0; j < 8; j++) bytes.push(all[j] >> 8, all[j] & 0xff);
  return bytes;
}

function port(v) {
  var p = Number(v);
  return p >= 0 && p <= 65535 ? Math.floor(p) : -1;
}

/**
 * The PROXY v2 header for a client at `src`:`sport` that reached nginx at `dst`:`dport`
 * (haproxy proxy-protocol.txt 2.2): signature, \x21 (version 2, PROXY), the family and transport
 * byte, the address block's length, then the source and destination addresses and ports. A LOCAL
 * header (\x20, UNSPEC, no addresses) when an address cannot be read.
 */
function proxyV2Header(src, sport, dst, dport) {
  var sp = port(sport);
  var dp = port(dport);
  var s4 = ipv4Bytes(src);
  var d4 = ipv4Bytes(dst);
  var body = null;
  var family = 0;
  if (s4 !== null && d4 !== null) {
    family = 0x12;
    body = s4.concat(d4);
  } else {
    var s6 = s4 !== null ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff].concat(s4) : ipv6Bytes(src);
    var d6 = d4 !== null ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff].concat(d4) : ipv6Bytes(dst);
    if (s6 !== null && d6 !== null) {
      family = 0x22;
      body = s6.concat(d6);
    }
  }
  if (body === null || sp < 0 || dp < 0) return Buffer.from(SIGNATURE.concat([0x20, 0x00, 0x00, 0x00]));
  body.push(sp >> 8, sp & 0xff, dp >> 8, dp & 0xff);
  return Buffer.from(SIGNATURE.concat([0x21, family, body.length >> 8, body.length & 0xff], body));
}

function proxyHeader(s) {
  var header;
  try {
    header = proxyV2Header(s.remoteAddress, s.variables.remote_port, s.variables.server_addr, s.variables.server_port);
  } catch (e) {
    header = Buffer.from(SIGNATURE.concat([0x20, 0x00, 0x00, 0x00]));
  }
  s.on('upstream', function (data, flags) {
    // One s.send per datagram, with its flags: the header and the datagram leave as one datagram.
    // The one exception this script lets out, on purpose: a send that failed (the backend's port
    // is closed, ICMP port unreachable: its process died). nginx ends the session on it, so the
    // client's next datagram opens a new one; caught here, the session would live on, sending
    // into the dead port until proxy_timeout (nginx 1.22, njs 0.7.9: s.done() may not be called
    // while filtering).
    try {
      s.send(Buffer.concat([header, data]), flags);
    } catch (e) {
      s.warn('dtls-kit: the backend is unreachable, ending the session: ' + e.message);
      throw e;
    }
  });
}

export default { preread: preread, proxyHeader: proxyHeader, serverIdOf: serverIdOf, upstreamFor: upstreamFor, proxyV2Header: proxyV2Header };
