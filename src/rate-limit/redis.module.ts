import { Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { createClient, type RedisClientType } from 'redis';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the client with no extra modules, as createClient() returns it
export type RedisClient = RedisClientType<{}, {}, {}, 3>;

/** Present only when REDIS_URL is set. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * One Redis connection for the counters. Commands fail at once while it is down (no offline queue),
 * so a request that needs Redis answers 503 instead of hanging; the client reconnects by itself.
 */
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [rateLimitConfig.KEY],
      useFactory: async ({ redisUrl }: RateLimitConfig): Promise<RedisClient | null> => {
        if (!redisUrl) return null;
        const logger = new Logger('Redis');
        const client = createClient({
          url: redisUrl,
          disableOfflineQueue: true,
          socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
        });
        let lastError = '';
        client.on('error', (error: Error) => {
          if (error.message !== lastError) logger.warn(`Redis: ${error.message}`);
          lastError = error.message;
        });
        client.on('ready', () => (lastError = ''));
        await client.connect();
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS_CLIENT) private readonly redis: RedisClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis?.isOpen) await this.redis.close();
  }
}
