import { describe, expect, it } from 'vitest';
import { dueRotation, liveKeysAt, nextKeyAt, signingKeyAt, type ScheduledKey } from './key-schedule.js';

const at = (iso: string) => new Date(`2026-11-23T${iso}Z`);
const key = (kid: string, signsFrom: string, algorithm = 'ES256', revokedAt: string | null = null): ScheduledKey => ({
  kid,
  algorithm,
  signsFrom: at(signsFrom),
  createdAt: at(signsFrom),
  revokedAt: revokedAt === null ? null : at(revokedAt),
});

describe('key schedule', () => {
  const first = key('first', '10:00:00');
  const second = key('second', '11:00:00');

  it('should sign with the latest key whose time has come, not with one announced for later', () => {
    expect(signingKeyAt([first, second], at('10:59:59'))?.kid).toBe('first');
    expect(signingKeyAt([first, second], at('11:00:00'))?.kid).toBe('second');
    expect(signingKeyAt([], at('10:00:00'))).toBeUndefined();
    expect(nextKeyAt([first, second], at('10:30:00'))?.kid).toBe('second');
    expect(nextKeyAt([first, second], at('11:00:00'))).toBeUndefined();
  });

  it('should sign with the earliest key on a clock that is behind every key, rather than with none', () => {
    expect(signingKeyAt([second, first], at('09:59:58'))?.kid).toBe('first');
    expect(liveKeysAt([first, second], at('09:59:58'), 905).map((k) => k.kid)).toEqual(['first', 'second']);
  });

  it('should keep a replaced key live until its last token has expired, then drop it', () => {
    const grace = 905;

    expect(liveKeysAt([first, second], at('10:30:00'), grace).map((k) => k.kid)).toEqual(['first', 'second']);
    expect(liveKeysAt([first, second], at('11:15:04'), grace).map((k) => k.kid)).toEqual(['first', 'second']);
    expect(liveKeysAt([first, second], at('11:15:05'), grace).map((k) => k.kid)).toEqual(['second']);
  });

  it('should not bring back a retired key when the key that replaced it is revoked', () => {
    const revokedSecond = key('second', '11:00:00', 'ES256', '12:00:00');
    const third = key('third', '12:00:00');

    expect(liveKeysAt([first, revokedSecond, third], at('12:00:01'), 905).map((k) => k.kid)).toEqual(['third']);
    expect(signingKeyAt([first, revokedSecond], at('12:00:01'))?.kid).toBe('first');
  });

  it('should not end a key’s turn with a next key revoked before it ever signed', () => {
    const withdrawn = key('withdrawn', '11:00:00', 'ES256', '10:30:00');
    const third = key('third', '12:00:00');

    expect(liveKeysAt([first, withdrawn, third], at('12:10:00'), 905).map((k) => k.kid)).toEqual(['first', 'third']);
    expect(nextKeyAt([first, withdrawn], at('10:45:00'))).toBeUndefined();
  });

  it('should make the first key at once, and nothing while a next key is announced', () => {
    const options = { algorithm: 'ES256', rotationSeconds: 3600, leadSeconds: 300 };

    expect(dueRotation([], at('10:00:00'), options)).toEqual(at('10:00:00'));
    expect(dueRotation([first, second], at('10:59:00'), options)).toBeUndefined();
  });

  it('should announce the scheduled key the lead time before it is due, and not before', () => {
    const options = { algorithm: 'ES256', rotationSeconds: 3600, leadSeconds: 300 };

    expect(dueRotation([first], at('10:54:59'), options)).toBeUndefined();
    expect(dueRotation([first], at('10:55:00'), options)).toEqual(at('11:00:00'));
    expect(dueRotation([first], at('12:00:00'), options)).toEqual(at('12:05:00'));
    expect(dueRotation([first], at('12:00:00'), { ...options, rotationSeconds: undefined })).toBeUndefined();
  });

  it('should announce a key of the configured algorithm when the current key has another', () => {
    const options = { algorithm: 'RS256', leadSeconds: 300 };

    expect(dueRotation([first], at('10:10:00'), options)).toEqual(at('10:15:00'));
  });
});
