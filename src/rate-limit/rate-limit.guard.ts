import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { TooManyRequestsException } from '../common/exceptions/too-many-requests.exception.js';

/** The throttler, answering 429 in the common error shape with a plain `Retry-After` header. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new TooManyRequestsException(`Too many requests; try again in ${seconds} seconds`, seconds);
  }
}
