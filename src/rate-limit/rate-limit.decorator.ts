import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { RateLimitRule } from '../config/rate-limit.config.js';
import { RATE_LIMIT_RULE_KEY } from './rate-limit-rule.js';
import { RefusalRefundInterceptor } from './refusal-refund.interceptor.js';

/**
 * Applies the named limits (per client IP and per target account) on top of the global one, and
 * gives a refused input's account hit back. Routes without limits of their own pay for neither.
 */
export const RateLimit = (rule: RateLimitRule): MethodDecorator =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_RULE_KEY, rule),
    UseInterceptors(RefusalRefundInterceptor),
    ApiTooManyRequestsResponse({
      description: `Too many requests (the "${rule}" limits); the Retry-After header says how many seconds to wait`,
    }),
  );
