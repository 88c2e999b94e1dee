import { ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { rateLimitConfig, type Limit, type RateLimitConfig, type RateLimitRule } from '../config/rate-limit.config.js';
import { readCookie, REFRESH_COOKIE } from '../auth/decorators/token-transport.decorator.js';
import { LoginLockoutService } from './login-lockout.service.js';
import { RATE_LIMIT_RULE_KEY } from './rate-limit.decorator.js';
import { RedisModule, REDIS_CLIENT, type RedisClient } from './redis.module.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

type Request = FastifyRequest & { user?: { user?: { id?: string } } };

/** The account a request targets: the email in its body, the session of its refresh token, or the caller. */
export function targetAccount(request: Request): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  if (typeof body?.email === 'string') return `email:${body.email.trim().toLowerCase()}`;
  const refreshToken = typeof body?.refreshToken === 'string' ? body.refreshToken : readCookie(request.headers.cookie, REFRESH_COOKIE);
  if (refreshToken) return `session:${refreshToken.split('.')[0]}`;
  const userId = request.user?.user?.id;
  return userId ? `user:${userId}` : undefined;
}

function throttlers(config: RateLimitConfig): ThrottlerOptions[] {
  const ruleOf = (context: ExecutionContext) => Reflect.getMetadata(RATE_LIMIT_RULE_KEY, context.getHandler()) as RateLimitRule | undefined;
  const limitOf = (context: ExecutionContext, scope: 'ip' | 'account'): Limit => config.rules[ruleOf(context)!][scope];
  const request = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>();
  return [
    // One counter per client across all routes (the default key is per route).
    { name: 'global', limit: config.global.limit, ttl: config.global.ttl, generateKey: (_context, tracker) => `global:${tracker}` },
    {
      name: 'ip',
      limit: (context) => limitOf(context, 'ip').limit,
      ttl: (context) => limitOf(context, 'ip').ttl,
      skipIf: (context) => !config.enabled || !ruleOf(context),
    },
    {
      name: 'account',
      limit: (context) => limitOf(context, 'account').limit,
      ttl: (context) => limitOf(context, 'account').ttl,
      getTracker: (req) => targetAccount(req as Request) ?? '',
      skipIf: (context) => !config.enabled || !ruleOf(context) || !targetAccount(request(context)),
    },
  ];
}

/**
 * Request limits (@nestjs/throttler) and the login lockout, with their counters in Redis when
 * REDIS_URL is set (shared by every instance) and in memory otherwise. RATE_LIMIT=off turns all off.
 */
@Module({
  imports: [
    RedisModule,
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [rateLimitConfig.KEY, REDIS_CLIENT],
      useFactory: (config: RateLimitConfig, redis: RedisClient | null) => ({
        throttlers: throttlers(config),
        skipIf: () => !config.enabled,
        setHeaders: false,
        ...(redis && { storage: new RedisThrottlerStorage(redis, config.redisPrefix) }),
      }),
    }),
  ],
  providers: [LoginLockoutService],
  exports: [LoginLockoutService, RedisModule, ThrottlerModule],
})
export class RateLimitModule {}
