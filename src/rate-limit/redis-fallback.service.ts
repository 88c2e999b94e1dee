import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { OutageMonitor } from '../common/outage-monitor.js';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';
import { REDIS_CLIENT, type RedisClient } from './redis-client.provider.js';

/**
 * Runs the counters' Redis commands with a deadline (REDIS_TIMEOUT_MS). When a command fails or
 * misses it, the counters move to this instance's memory at once (logged once) and Redis is probed
 * in the background until it answers again: a slow or lost Redis weakens the limits across
 * instances for a while, but never stalls or refuses a request.
 */
@Injectable()
export class RedisFallbackService implements OnApplicationShutdown {
  private readonly monitor = new OutageMonitor(new Logger('Redis'), () => this.ping(), {
    lost: (reason) =>
      `Redis is unreachable or slow (${reason}): rate limits and the login lockout now count in this instance's memory until it answers again`,
    back: 'Redis answers again: rate limits and the login lockout count in Redis again',
  });

  constructor(
    @Inject(rateLimitConfig.KEY) private readonly config: RateLimitConfig,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis: RedisClient | null,
  ) {}

  /** True when REDIS_URL is set. */
  get configured(): boolean {
    return this.redis !== null;
  }

  /** True while the counters are in this instance's memory although Redis is configured. */
  get fallenBack(): boolean {
    return this.monitor.down;
  }

  async run<T>(inRedis: (redis: RedisClient) => Promise<T>, inMemory: () => T): Promise<T> {
    if (!this.redis || this.fallenBack) return inMemory();
    try {
      return await this.inTime(inRedis(this.redis));
    } catch (error) {
      this.monitor.lost(error instanceof Error ? error.message : String(error));
      return inMemory();
    }
  }

  /** Resolves when Redis answers a PING within the deadline; rejects otherwise. */
  async ping(): Promise<void> {
    if (!this.redis) throw new Error('Redis is not configured');
    await this.inTime(this.redis.ping());
  }

  onApplicationShutdown(): void {
    this.monitor.stop();
  }

  private async inTime<T>(command: Promise<T>): Promise<T> {
    const ms = this.config.redisTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      // Rejected only after the pending I/O is read, so a stalled event loop is not taken for a slow Redis.
      timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${ms} ms`))), ms);
    });
    try {
      return await Promise.race([command, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
