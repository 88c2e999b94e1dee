import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RateLimitConfig } from '../config/rate-limit.config.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { RedisFallbackService } from './redis-fallback.service.js';

const MINUTE = 60_000;

/** The memory counters: what every instance uses without REDIS_URL, and while Redis is unreachable. */
describe(RateLimitStorage.name, () => {
  let storage: RateLimitStorage;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    storage = new RateLimitStorage(new RedisFallbackService({ redisTimeoutMs: 500 } as RateLimitConfig, null), 'test:');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('should count hits in a window and block past the limit for the block duration', async () => {
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push(await storage.increment('key', MINUTE, 2, 2 * MINUTE, 'ip'));

    expect(hits.map((hit) => [hit.totalHits, hit.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(hits[2].timeToExpire).toBe(60);
    expect(hits[2].timeToBlockExpire).toBe(120);
  });

  it('should start a new window once the last one ends, but keep a block until it ends', async () => {
    for (let i = 0; i < 3; i++) await storage.increment('key', MINUTE, 2, 2 * MINUTE, 'ip');

    vi.advanceTimersByTime(MINUTE + 1);
    const stillBlocked = await storage.increment('key', MINUTE, 2, 2 * MINUTE, 'ip');
    vi.advanceTimersByTime(MINUTE + 1);
    const free = await storage.increment('key', MINUTE, 2, 2 * MINUTE, 'ip');

    expect(stillBlocked).toMatchObject({ totalHits: 1, isBlocked: true });
    expect(free).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('should look at a window without counting, and give a hit back', async () => {
    await storage.increment('key', MINUTE, 5, MINUTE, 'account');
    await storage.increment('key', MINUTE, 5, MINUTE, 'account');

    await expect(storage.peek('key', 'account')).resolves.toEqual({ hits: 2, msToReset: MINUTE });
    await expect(storage.peek('key', 'account')).resolves.toEqual({ hits: 2, msToReset: MINUTE });
    await storage.refund('key', 'account');
    await expect(storage.peek('key', 'account')).resolves.toMatchObject({ hits: 1 });
    await storage.refund('key', 'account');
    await storage.refund('key', 'account');
    await expect(storage.peek('key', 'account')).resolves.toMatchObject({ hits: 0 });
  });

  it('should keep each throttler’s and each key’s counters apart', async () => {
    await storage.increment('key', MINUTE, 5, MINUTE, 'ip');

    await expect(storage.peek('key', 'account')).resolves.toEqual({ hits: 0, msToReset: 0 });
    await expect(storage.peek('other', 'ip')).resolves.toEqual({ hits: 0, msToReset: 0 });
    await expect(storage.peek('key', 'ip')).resolves.toMatchObject({ hits: 1 });
  });
});
