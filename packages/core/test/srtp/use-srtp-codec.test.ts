/** The use_srtp extension codec (RFC 5764 4.1.1) and the profile registry and options (4.1.2, RFC 7714 14.2). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { decodeUseSrtp, encodeUseSrtp } from '../../src/handshake/extensions/use-srtp.js';
import { resolveClientOptions, resolveServerOptions } from '../../src/options.js';
import { splitSrtpKeyingMaterial, srtpKeyingMaterialLength } from '../../src/srtp/srtp-keying-material.js';
import { parseSrtpProfiles, srtpProfileById, srtpProfileByName } from '../../src/srtp/srtp-profile.js';
import { clientPsk, serverPsk } from '../support/psk.js';

describe('use_srtp codec (RFC 5764 4.1.1)', () => {
  it('encodes SRTPProtectionProfiles<2..2^16-1> then srtp_mki<0..255>', () => {
    const wire = encodeUseSrtp({ profiles: [0x0001, 0x0007], mki: Uint8Array.from([0xaa, 0xbb]) });
    expect(Buffer.from(wire).toString('hex')).toBe('0004' + '0001' + '0007' + '02' + 'aabb');
    expect(Buffer.from(encodeUseSrtp({ profiles: [0x0002], mki: new Uint8Array(0) })).toString('hex')).toBe('0002000200');
  });

  it('round-trips any list of profiles and any MKI', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 255 }), (profiles, mki) => {
        const d = decodeUseSrtp(encodeUseSrtp({ profiles, mki }));
        expect(d.profiles).toEqual(profiles);
        expect(d.mki).toEqual(mki);
      }),
    );
  });

  it.each([
    ['an empty profile list', '000000'],
    ['an odd profile list', '0003000100' + '00'],
    ['no MKI length', '00020001'],
    ['an MKI longer than the data', '0002000105aabb'],
    ['trailing bytes', '00020001' + '00' + 'ff'],
    ['nothing', ''],
  ])('%s is a decode_error', (_name, hex) => {
    expect(() => decodeUseSrtp(Buffer.from(hex, 'hex'))).toThrow(DecodeError);
  });

  it('random bytes give only DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeUseSrtp(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });

  it('refuses to encode what the wire cannot carry', () => {
    expect(() => encodeUseSrtp({ profiles: [], mki: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeUseSrtp({ profiles: [1], mki: new Uint8Array(256) })).toThrow(RangeError);
  });
});

describe('SRTP protection profiles', () => {
  it('knows the four profiles by IANA id and name and by OpenSSL name, with their key and salt lengths', () => {
    expect(srtpProfileById(0x0001)).toMatchObject({ name: 'SRTP_AES128_CM_HMAC_SHA1_80', opensslName: 'SRTP_AES128_CM_SHA1_80', keyLength: 16, saltLength: 14 });
    expect(srtpProfileById(0x0002)).toMatchObject({ name: 'SRTP_AES128_CM_HMAC_SHA1_32', opensslName: 'SRTP_AES128_CM_SHA1_32', keyLength: 16, saltLength: 14 });
    expect(srtpProfileById(0x0007)).toMatchObject({ name: 'SRTP_AEAD_AES_128_GCM', keyLength: 16, saltLength: 12 });
    expect(srtpProfileById(0x0008)).toMatchObject({ name: 'SRTP_AEAD_AES_256_GCM', keyLength: 32, saltLength: 12 });
    expect(srtpProfileByName('srtp_aes128_cm_sha1_80')).toBe(srtpProfileById(1));
    expect(srtpProfileById(0x0005)).toBeUndefined(); // SRTP_NULL_HMAC_SHA1_80: no encryption, not offered
  });

  it('parses a colon-separated OpenSSL list and arrays of names and ids, in order, without duplicates', () => {
    expect(parseSrtpProfiles('SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM').map((p) => p.id)).toEqual([1, 8]);
    expect(parseSrtpProfiles(['SRTP_AEAD_AES_128_GCM', 2, 'SRTP_AES128_CM_HMAC_SHA1_32']).map((p) => p.id)).toEqual([7, 2]);
    expect(() => parseSrtpProfiles('SRTP_AES128_CM_SHA1_80:SRTP_NOPE')).toThrow(/unknown SRTP protection profile: "SRTP_NOPE"/);
    expect(() => parseSrtpProfiles('')).toThrow(TypeError);
    expect(() => parseSrtpProfiles([0x0005])).toThrow(TypeError);
  });

  it('options: srtpMki needs srtpProfiles and 1..255 bytes', () => {
    expect(resolveServerOptions({ psk: serverPsk(), srtpProfiles: 'SRTP_AES128_CM_SHA1_32' }).srtpProfiles.map((p) => p.id)).toEqual([2]);
    expect(resolveClientOptions({ psk: clientPsk() }).srtpProfiles).toEqual([]);
    expect(() => resolveClientOptions({ psk: clientPsk(), srtpMki: Uint8Array.of(1) })).toThrow(/srtpMki needs srtpProfiles/);
    expect(() => resolveClientOptions({ psk: clientPsk(), srtpProfiles: [1], srtpMki: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => resolveClientOptions({ psk: clientPsk(), srtpProfiles: [1], srtpMki: new Uint8Array(256) })).toThrow(RangeError);
    expect(() => resolveClientOptions({ psk: clientPsk(), srtpProfiles: 'SRTP_AES256_CM_SHA1_80' })).toThrow(TypeError);
  });
});

describe('keying material layout (RFC 5764 4.2)', () => {
  it('client key | server key | client salt | server salt, 2 * (key + salt) bytes', () => {
    const gcm256 = srtpProfileById(8);
    if (gcm256 === undefined) throw new Error('no SRTP_AEAD_AES_256_GCM');
    expect(srtpKeyingMaterialLength(gcm256)).toBe(88);
    const material = Uint8Array.from({ length: 88 }, (_, i) => i);
    const km = splitSrtpKeyingMaterial(gcm256, new Uint8Array(0), material);
    expect(km.clientKey).toEqual(material.subarray(0, 32));
    expect(km.serverKey).toEqual(material.subarray(32, 64));
    expect(km.clientSalt).toEqual(material.subarray(64, 76));
    expect(km.serverSalt).toEqual(material.subarray(76, 88));
    expect(() => splitSrtpKeyingMaterial(gcm256, new Uint8Array(0), material.subarray(0, 60))).toThrow(RangeError);
  });
});
