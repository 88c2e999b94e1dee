import { Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CLIENT, redisClientProvider, type RedisClient } from './redis-client.provider.js';
import { RedisFallbackService } from './redis-fallback.service.js';

/** Waited for pending commands at shutdown; a hung Redis must not hold the shutdown. */
const CLOSE_TIMEOUT_MS = 1000;

/** The Redis connection for the counters (when REDIS_URL is set), behind its memory fallback. */
@Module({
  providers: [redisClientProvider, RedisFallbackService],
  exports: [RedisFallbackService],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS_CLIENT) private readonly redis: RedisClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis?.isOpen) return;
    await Promise.race([this.redis.close(), sleep(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
    if (this.redis.isOpen) this.redis.destroy();
  }
}
