import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CLIENT, type RedisClient } from '../rate-limit/redis.module.js';

const PING_TIMEOUT_MS = 1500;

/** Up when Redis answers a PING in time; only checked when REDIS_URL is set. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis: RedisClient | null,
  ) {}

  get enabled(): boolean {
    return this.redis !== null;
  }

  async check(): Promise<HealthIndicatorResult<'redis'>> {
    const indicator = this.indicators.check('redis');
    try {
      const timeout = sleep(PING_TIMEOUT_MS).then(() => Promise.reject(new Error('timeout')));
      await Promise.race([this.redis!.ping(), timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
