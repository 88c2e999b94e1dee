import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { RateLimitRule } from '../config/rate-limit.config.js';

export const RATE_LIMIT_RULE_KEY = 'rateLimitRule';

/** Applies the named limits (per client IP and per target account) on top of the global one. */
export const RateLimit = (rule: RateLimitRule): MethodDecorator =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_RULE_KEY, rule),
    ApiTooManyRequestsResponse({
      description: `Too many requests (the "${rule}" limits); the Retry-After header says how many seconds to wait`,
    }),
  );
