import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUrl, totpCode, totpStep } from './totp.js';

/** The ASCII secret of both RFCs' test vectors. */
const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');

describe('totp', () => {
  it('should give the HOTP values of RFC 4226, appendix D', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => hotp(RFC_KEY, BigInt(counter)))).toEqual(expected);
  });

  it('should give the SHA-1 TOTP values of RFC 6238, appendix B (their last 6 digits)', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      expect(hotp(RFC_KEY, BigInt(totpStep(seconds * 1000)), 8), String(seconds)).toBe(code);
      expect(totpCode(base32Encode(RFC_KEY), totpStep(seconds * 1000))).toBe(code.slice(2));
    }
  });

  it('should encode base32 as RFC 4648 does, without padding, and read it back', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZ1')).toThrow();
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
  });

  it('should accept a code of the step before, now or after, and tell which step it is', () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const step = totpStep(now);
    expect(matchTotp(secret, totpCode(secret, step), now)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, step + 1), now)).toBe(step + 1);
    expect(matchTotp(secret, totpCode(secret, step - 2), now)).toBeNull();
    expect(matchTotp(secret, totpCode(secret, step + 2), now)).toBeNull();
    expect(matchTotp(secret, '12345', now)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now)).toBeNull();
  });

  it('should build the otpauth URL authenticator apps read', () => {
    expect(otpauthUrl('Auth service', 'ada@example.com', 'JBSWY3DPEHPK3PXP')).toBe(
      'otpauth://totp/Auth%20service:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Auth%20service&algorithm=SHA1&digits=6&period=30',
    );
  });
});
