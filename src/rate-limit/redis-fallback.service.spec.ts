import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RateLimitConfig } from '../config/rate-limit.config.js';
import type { RedisClient } from './redis-client.provider.js';
import { RedisFallbackService } from './redis-fallback.service.js';

const config = { redisTimeoutMs: 50 } as RateLimitConfig;

/** A Redis client that either answers at once or never, as the test says. */
function fakeRedis() {
  const state = { answering: false, failing: false };
  const reply = <T>(value: T): Promise<T> => {
    if (state.failing) return Promise.reject(new Error('The client is offline'));
    return state.answering ? Promise.resolve(value) : new Promise<T>(() => undefined);
  };
  const client = { ping: vi.fn(() => reply('PONG')), get: vi.fn(() => reply('from redis')) };
  return { state, client, redis: client as unknown as RedisClient };
}

describe(RedisFallbackService.name, () => {
  const services: RedisFallbackService[] = [];
  const create = (redis: RedisClient | null) => {
    const service = new RedisFallbackService(config, redis);
    services.push(service);
    return service;
  };

  afterEach(() => {
    for (const service of services.splice(0)) service.onApplicationShutdown();
    vi.restoreAllMocks();
  });

  it('should count in memory when Redis is not configured', async () => {
    const service = create(null);

    expect(service.configured).toBe(false);
    await expect(
      service.run(
        () => Promise.resolve('from redis'),
        () => 'from memory',
      ),
    ).resolves.toBe('from memory');
    await expect(service.ping()).rejects.toThrow('not configured');
  });

  it('should use Redis while it answers', async () => {
    const { state, client, redis } = fakeRedis();
    state.answering = true;
    const service = create(redis);

    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from redis');
    await expect(service.ping()).resolves.toBeUndefined();
    expect(client.get).toHaveBeenCalledTimes(1);
  });

  it('should fall back to memory after the timeout when Redis hangs, log it once, and stop asking Redis meanwhile', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { client, redis } = fakeRedis();
    const service = create(redis);

    const started = performance.now();
    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from memory');
    const waited = performance.now() - started;
    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from memory');
    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from memory');

    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1000);
    expect(client.get).toHaveBeenCalledTimes(1);
    expect(service.fallenBack).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/^Redis is unreachable or slow \(no answer within 50 ms\): .* memory/);
    await expect(service.ping()).rejects.toThrow('no answer within 50 ms');
  });

  it('should fall back at once when a command fails, and go back to Redis once it answers a probe', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { state, redis } = fakeRedis();
    state.failing = true;
    const service = create(redis);

    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from memory');
    expect(service.fallenBack).toBe(true);
    Object.assign(state, { failing: false, answering: true });

    await vi.waitFor(() => expect(service.fallenBack).toBe(false), { timeout: 5000, interval: 50 });
    await expect(
      service.run(
        (r) => r.get('key'),
        () => 'from memory',
      ),
    ).resolves.toBe('from redis');
    expect(log).toHaveBeenCalledWith('Redis answers again: rate limits and the login lockout count in Redis again');
  });
});
