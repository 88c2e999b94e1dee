import { Inject, Injectable, Logger } from '@nestjs/common';
import { maskIdentifier } from '../common/logging/mask.js';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';
import { TooManyRequestsException } from '../common/errors/too-many-requests.exception.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RedisClient } from './redis-client.provider.js';
import { RedisFallbackService } from './redis-fallback.service.js';

/**
 * Whose attempts count: an existing account by its id, so that its email and its username share one
 * count; an identifier that names no account by itself (trimmed and lower-cased by its DTO), so
 * guessing at unknown names locks just as fast and tells nothing.
 */
export type LockoutSubject = { userId: string; identifier?: string } | { identifier: string };

const keyOf = (subject: LockoutSubject): string =>
  'userId' in subject ? `user:${subject.userId}` : `name:${subject.identifier}`;

/** Most accounts tracked in memory at once; the oldest are forgotten first. */
const MEMORY_LIMIT = 100_000;

/**
 * Counts the attempt, then tells how many ms the account is still locked (0: go ahead). The attempt
 * that reaches the threshold sets the lock at once, so parallel guesses past it are refused.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if lockedUntil > now then return lockedUntil - now end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local threshold = tonumber(ARGV[2])
if count >= threshold then
  redis.call('HSET', KEYS[1], 'lockedUntil', now + math.min(tonumber(ARGV[3]) * 2 ^ (count - threshold), tonumber(ARGV[4])))
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0`;

interface Attempts {
  count: number;
  lockedUntil: number;
  forgetAt: number;
}

/**
 * Per-account protection against password guessing. Every attempt counts before the password is
 * checked; from the LOCKOUT_THRESHOLD-th on, the account is locked for LOCKOUT_BASE, doubling with each
 * further attempt up to LOCKOUT_MAX; a successful login clears it. A locked account is refused
 * without checking the password, the same way whether the password was right or the account exists.
 */
@Injectable()
export class LoginLockoutService {
  private readonly memory = new Map<string, Attempts>();
  private readonly forgetAfterMs: number;
  private readonly logger = new Logger('Security');

  constructor(
    @Inject(rateLimitConfig.KEY) private readonly config: RateLimitConfig,
    private readonly redis: RedisFallbackService,
    private readonly metrics: MetricsService,
  ) {
    this.forgetAfterMs = Math.max(2 * config.lockout.maxMs, 3_600_000);
  }

  /**
   * Every password check goes through here: the attempt counts against the account before `check`
   * runs (429 while locked), and the count is cleared only when `check` resolves (and `settles` says
   * its result ends the attempt: not a right password that a second step must still follow); a
   * refusal (a throw) keeps it.
   */
  async attempt<T>(subject: LockoutSubject, check: () => Promise<T>, settles?: (result: T) => Promise<boolean>): Promise<T> {
    const account = keyOf(subject);
    await this.reserve(account, subject);
    const result = await check();
    if (!settles || (await settles(result))) await this.clear(account);
    return result;
  }

  /**
   * Clears the account's failed attempts and lock, whatever RATE_LIMIT says: in Redis when it answers
   * (`redis`; every instance sees it), else only in this process's memory (`memory`), which no other
   * process can see. `cleared` tells whether there was anything to clear.
   */
  unlock(subject: LockoutSubject): Promise<{ store: 'redis' | 'memory'; cleared: boolean }> {
    const account = keyOf(subject);
    return this.redis.run<{ store: 'redis' | 'memory'; cleared: boolean }>(
      async (client) => ({ store: 'redis' as const, cleared: (await client.del(this.key(account))) > 0 }),
      () => ({ store: 'memory' as const, cleared: this.memory.delete(account) }),
    );
  }

  private async reserve(account: string, subject: LockoutSubject): Promise<void> {
    if (!this.config.enabled) return;
    const lockedMs = await this.redis.run(
      (client) => this.reserveInRedis(client, account),
      () => this.reserveInMemory(account),
    );
    if (lockedMs > 0) {
      this.metrics.countRateLimited('lockout');
      const seconds = Math.ceil(lockedMs / 1000);
      this.logger.warn({
        msg: 'password attempt refused: account locked',
        event: 'account_locked',
        ...('userId' in subject && { userId: subject.userId }),
        ...(subject.identifier !== undefined && {
          [subject.identifier.includes('@') ? 'email' : 'username']: maskIdentifier(subject.identifier),
        }),
        retryAfterSeconds: seconds,
      });
      throw new TooManyRequestsException(
        `Too many failed password attempts for this account; try again in ${seconds} seconds`,
        seconds,
        'account_locked',
      );
    }
  }

  private async clear(account: string): Promise<void> {
    if (!this.config.enabled) return;
    await this.redis.run(
      async (client) => void (await client.del(this.key(account))),
      () => void this.memory.delete(account),
    );
  }

  private async reserveInRedis(client: RedisClient, account: string): Promise<number> {
    const { threshold, baseMs, maxMs } = this.config.lockout;
    const result = await client.eval(RESERVE, {
      keys: [this.key(account)],
      arguments: [String(Date.now()), String(threshold), String(baseMs), String(maxMs), String(this.forgetAfterMs)],
    });
    return Number(result);
  }

  private reserveInMemory(account: string): number {
    const now = Date.now();
    const { threshold, baseMs, maxMs } = this.config.lockout;
    let attempts = this.memory.get(account);
    if (!attempts || attempts.forgetAt <= now) attempts = { count: 0, lockedUntil: 0, forgetAt: 0 };
    if (attempts.lockedUntil > now) return attempts.lockedUntil - now;
    attempts.count++;
    if (attempts.count >= threshold) attempts.lockedUntil = now + Math.min(baseMs * 2 ** (attempts.count - threshold), maxMs);
    attempts.forgetAt = now + this.forgetAfterMs;
    this.memory.delete(account);
    this.memory.set(account, attempts);
    if (this.memory.size > MEMORY_LIMIT) this.memory.delete(this.memory.keys().next().value!);
    return 0;
  }

  private key(account: string): string {
    return `${this.config.redisPrefix}lockout:${account}`;
  }
}
