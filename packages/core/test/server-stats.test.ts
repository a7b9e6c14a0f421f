import { describe, expect, it } from 'vitest';
import { AlertDescription, type StatsChange } from '../src/index.js';
import { CookieCheck, ServerStatsCounter } from '../src/internal.js';

const zero = { recordsIn: 0, recordsOut: 0, applicationRecordsIn: 0, applicationBytesIn: 0, applicationRecordsOut: 0, applicationBytesOut: 0, replayed: 0, badMac: 0, dropped: 0 };

describe('ServerStatsCounter', () => {
  it('counts handshake failures by alert name, ours and the peer\'s apart, and timeouts; tells each change', () => {
    const changes: StatsChange[] = [];
    const c = new ServerStatsCounter((change) => changes.push(change));
    c.handshakeFailed(AlertDescription.bad_record_mac, false);
    c.handshakeFailed(AlertDescription.bad_record_mac, false);
    c.handshakeFailed(AlertDescription.handshake_failure, true);
    c.handshakeFailed(undefined, false);
    c.count('established');
    c.drop('notClientHello');
    c.datagramIn(100);
    c.datagramOut(60);
    const s = c.snapshot({ connections: 2, handshakes: 1 }, []);
    expect(s.handshakesFailed).toEqual({ sent: { bad_record_mac: 2 }, received: { handshake_failure: 1 }, timedOut: 1 });
    expect(s).toMatchObject({ connections: 2, handshakes: 1, established: 1, datagrams: 1, bytesIn: 100, datagramsOut: 1, bytesOut: 60 });
    expect(s.dropped.notClientHello).toBe(1);
    expect(changes).toEqual([
      'handshakesFailed.sent.bad_record_mac',
      'handshakesFailed.sent.bad_record_mac',
      'handshakesFailed.received.handshake_failure',
      'handshakesFailed.timedOut',
      'established',
      'dropped.notClientHello',
      'datagrams',
      'datagramsOut',
    ]);
  });

  it('adds the traffic of ended connections to the live ones\'; record drops join dropped', () => {
    const c = new ServerStatsCounter();
    c.connectionEnded({ ...zero, recordsIn: 5, applicationBytesIn: 10, replayed: 1 });
    const s = c.snapshot({ connections: 1, handshakes: 0 }, [{ ...zero, recordsIn: 2, recordsOut: 3, badMac: 2, dropped: 4 }]);
    expect(s).toMatchObject({ recordsIn: 7, recordsOut: 3, applicationBytesIn: 10 });
    expect(s.dropped).toMatchObject({ replayed: 1, badMac: 2, invalidRecord: 4 });
    // A snapshot is a copy: counting on does not change it.
    c.handshakeFailed(AlertDescription.decrypt_error, false);
    expect(s.handshakesFailed.sent).toEqual({});
  });
});

describe('CookieCheck drop codes', () => {
  it('says why a datagram was dropped, as server stats count it', () => {
    const check = new CookieCheck({});
    const verdict = (d: Uint8Array): string => {
      const r = check.verify(d, '127.0.0.1:1', 0);
      return r.type === 'drop' ? r.code : r.type;
    };
    expect(verdict(new TextEncoder().encode('not a DTLS record'))).toBe('notClientHello');
    const body = [0xfe, 0xfd, 1, 2, 3];
    const hs = [1, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length, ...body];
    expect(verdict(new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, hs.length, ...hs]))).toBe('malformed');
    // A Finished where a ClientHello should be.
    const fin = [20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    expect(verdict(new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, fin.length, ...fin]))).toBe('notClientHello');
  });
});
