import { Logger, type FactoryProvider } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from 'redis';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the client with no extra modules, as createClient() returns it
export type RedisClient = RedisClientType<{}, {}, {}, 3>;

/** Present only when REDIS_URL is set. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

const CONNECT_TIMEOUT_MS = 2000;

/**
 * One Redis connection for the counters. Commands fail at once while it is disconnected (no offline
 * queue); the client reconnects by itself. The service starts even when Redis does not answer in
 * time: the counters then begin in memory (see RedisFallbackService).
 */
export const redisClientProvider: FactoryProvider<Promise<RedisClient | null>> = {
  provide: REDIS_CLIENT,
  inject: [rateLimitConfig.KEY],
  useFactory: async ({ redisUrl, redisTimeoutMs }: RateLimitConfig): Promise<RedisClient | null> => {
    if (!redisUrl) return null;
    const logger = new Logger('Redis');
    const client: RedisClient = createClient({
      url: redisUrl,
      disableOfflineQueue: true,
      commandOptions: { timeout: redisTimeoutMs },
      socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
    });
    // The outage itself is logged once, by RedisFallbackService, when a command fails; the client's
    // reconnection errors are detail. A listener is still needed, or an 'error' event would crash the process.
    client.on('error', (error: Error) => logger.debug(`Redis client: ${error.message}`));
    const connected = client.connect().then(
      () => true,
      () => false,
    );
    if (!(await Promise.race([connected, sleep(CONNECT_TIMEOUT_MS, false, { ref: false })]))) {
      logger.warn(`Redis did not answer within ${CONNECT_TIMEOUT_MS} ms at start; still trying in the background`);
    }
    return client;
  },
};
