import type { ExecutionContext } from '@nestjs/common';
import type { RateLimitRule } from '../config/rate-limit.config.js';

export const RATE_LIMIT_RULE_KEY = 'rateLimitRule';

/** The named limits `@RateLimit()` put on the route, if any. */
export function rateLimitRuleOf(context: ExecutionContext): RateLimitRule | undefined {
  return Reflect.getMetadata(RATE_LIMIT_RULE_KEY, context.getHandler()) as RateLimitRule | undefined;
}
