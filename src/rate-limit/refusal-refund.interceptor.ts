import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectThrottlerStorage } from '@nestjs/throttler';
import { catchError, type Observable } from 'rxjs';
import { errorCodeOf } from '../common/errors/api.exception.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import { accountHitOf } from './rate-limit.guard.js';
import type { RateLimitStorage } from './rate-limit.storage.js';

/** Refusals of the input itself: they try nothing against the account, so they do not use up its limit. */
const REFUNDED = new Set<ErrorCode>(['validation_failed', 'password_policy']);

/**
 * The per-account limit counts a request in a guard, before its body is validated (pipes run after
 * guards) and before the password policy is checked (in the services). When the answer turns out to
 * be one of those refusals, the account's hit is given back; the per-IP limits keep counting it.
 */
@Injectable()
export class RefusalRefundInterceptor implements NestInterceptor {
  constructor(@InjectThrottlerStorage() private readonly storage: RateLimitStorage) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<object>();
    return next.handle().pipe(
      catchError(async (error: unknown) => {
        await this.refundIfRefusal(request, error);
        throw error;
      }),
    );
  }

  /** Also for refusals raised before interceptors run: a guard that validates its route's body (login). */
  async refundIfRefusal(request: object, error: unknown): Promise<void> {
    const key = accountHitOf(request);
    if (key && error instanceof HttpException && REFUNDED.has(errorCodeOf(error))) await this.storage.refund(key, 'account');
  }
}
