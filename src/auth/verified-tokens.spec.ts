import { afterEach, describe, expect, it, vi } from 'vitest';
import { VerifiedTokens } from './verified-tokens.js';

describe(VerifiedTokens.name, () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should remember a verified token by its exact text', () => {
    const tokens = new VerifiedTokens(5);
    const exp = Math.floor(Date.now() / 1000) + 60;
    tokens.remember('a.b.c', { sub: 'u1', sid: 's1', exp, kid: 'k1' });

    expect(tokens.get('a.b.c')).toEqual({ sub: 'u1', sid: 's1', exp, kid: 'k1' });
    expect(tokens.get('a.b.d')).toBeUndefined();
    expect(tokens.get('a.b.c ')).toBeUndefined();
  });

  it('should forget a token once it expires, past the clock tolerance', () => {
    vi.useFakeTimers({ now: new Date('2026-11-22T12:00:00Z') });
    const tokens = new VerifiedTokens(5);
    const exp = Math.floor(Date.now() / 1000) + 10;
    tokens.remember('a.b.c', { sub: 'u1', sid: 's1', exp, kid: 'k1' });

    vi.setSystemTime(new Date('2026-11-22T12:00:14Z'));
    expect(tokens.get('a.b.c')).toBeDefined();
    vi.setSystemTime(new Date('2026-11-22T12:00:15Z'));
    expect(tokens.get('a.b.c')).toBeUndefined();
  });
});
