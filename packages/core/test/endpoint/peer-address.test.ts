import { describe, expect, it } from 'vitest';
import { addressGroup, peerKey, samePeer } from '../../src/endpoint/peer-address.js';

describe('peerKey', () => {
  it.each([
    ['127.0.0.1', 4433, '127.0.0.1:4433'],
    ['::1', 4433, '[::1]:4433'],
    ['::ffff:127.0.0.1', 5684, '[::ffff:127.0.0.1]:5684'],
    ['fe80::1%eth0', 1, '[fe80::1%eth0]:1'],
  ])('%s port %d is %s', (address, port, key) => {
    expect(peerKey({ address, port })).toBe(key);
  });

  it('tells apart IPv6 peers that "address:port" would confuse', () => {
    // Without brackets "::1:2" port 3 and "::1" port 2... read alike: "::1:2:3" could be either.
    const a = peerKey({ address: '::1:2', port: 3 });
    const b = peerKey({ address: '::1', port: 23 });
    const c = peerKey({ address: '::1:2:3', port: 4 });
    expect(new Set([a, b, c, peerKey({ address: '::1', port: 2 })]).size).toBe(4);
    expect(a).toBe('[::1:2]:3');
  });

  it('samePeer compares address and port', () => {
    expect(samePeer({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 1 })).toBe(true);
    expect(samePeer({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 })).toBe(false);
    expect(samePeer({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.2', port: 1 })).toBe(false);
  });
});

describe('addressGroup', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:0:1::5', '2001:db8:0:1::/64'],
    ['2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    // Not addresses: returned as they are.
    ['localhost', 'localhost'],
    ['1:2:3', '1:2:3'],
    ['::ffff:999.1.1.1', '::ffff:999.1.1.1'],
    ['12345::1', '12345::1'],
  ])('%s counts as %s', (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });
});
