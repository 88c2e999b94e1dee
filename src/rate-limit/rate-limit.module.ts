import { ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { usernameKey } from '../common/validation/username.js';
import { authUserOf } from '../common/request/current-user.decorator.js';
import { oauthConfig, type OAuthConfig } from '../config/oauth.config.js';
import { rateLimitConfig, type Limit, type RateLimitConfig, type RateLimitRule } from '../config/rate-limit.config.js';
import { LoginLockoutService } from './login-lockout.service.js';
import { RATE_LIMIT_RULE_KEY } from './rate-limit-rule.js';
import { ServiceClientRateLimitGuard } from './rate-limit.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { RedisFallbackService } from './redis-fallback.service.js';
import { RedisModule } from './redis.module.js';
import { RefusalRefundInterceptor } from './refusal-refund.interceptor.js';
import { serviceClientOf } from './service-client.js';

/**
 * The account a request targets: the email in its body, else its username (whatever its case), or the
 * caller. (Refreshes: see auth's RefreshLimitInterceptor.)
 */
export function targetAccount(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  if (typeof body?.email === 'string') return `email:${body.email.trim().toLowerCase()}`;
  if (typeof body?.username === 'string') return `username:${usernameKey(body.username)}`;
  const userId = authUserOf(request)?.user.id;
  return userId ? `user:${userId}` : undefined;
}

function throttlers(config: RateLimitConfig, oauth: OAuthConfig): ThrottlerOptions[] {
  const ruleOf = (context: ExecutionContext) =>
    Reflect.getMetadata(RATE_LIMIT_RULE_KEY, context.getHandler()) as RateLimitRule | undefined;
  const limitOf = (context: ExecutionContext, scope: 'ip' | 'account'): Limit => config.rules[ruleOf(context)!][scope];
  const request = (context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>();
  return [
    // One counter per client across all routes (the default key is per route).
    {
      name: 'global',
      limit: config.global.limit,
      ttl: config.global.ttl,
      generateKey: (_context, tracker) => `global:${tracker}`,
    },
    // Per service client, on service-client routes only (ServiceClientRateLimitGuard).
    {
      name: 'client',
      limit: oauth.introspectionRateLimit.limit,
      ttl: oauth.introspectionRateLimit.ttl,
      getTracker: (req) => serviceClientOf(req) ?? '',
      generateKey: (_context, tracker) => `client:${tracker}`,
    },
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
      getTracker: (req) => targetAccount(req as FastifyRequest) ?? '',
      skipIf: (context) =>
        !config.enabled || !ruleOf(context) || ruleOf(context) === 'refresh' || !targetAccount(request(context)),
    },
  ];
}

/**
 * Request limits (@nestjs/throttler) and the login lockout, with their counters in Redis when
 * REDIS_URL is set and Redis answers (shared by every instance), in memory otherwise. RATE_LIMIT=off
 * turns all off.
 */
@Module({
  imports: [
    RedisModule,
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [rateLimitConfig.KEY, oauthConfig.KEY, RedisFallbackService],
      useFactory: (config: RateLimitConfig, oauth: OAuthConfig, redis: RedisFallbackService) => ({
        throttlers: throttlers(config, oauth),
        skipIf: () => !config.enabled,
        setHeaders: false,
        storage: new RateLimitStorage(redis, config.redisPrefix),
      }),
    }),
  ],
  providers: [LoginLockoutService, RefusalRefundInterceptor, ServiceClientRateLimitGuard],
  exports: [LoginLockoutService, RefusalRefundInterceptor, ServiceClientRateLimitGuard, RedisModule, ThrottlerModule],
})
export class RateLimitModule {}
