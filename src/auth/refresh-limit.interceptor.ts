import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { errorCodeOf } from '../common/errors/api.exception.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import { TooManyRequestsException } from '../common/errors/too-many-requests.exception.js';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RateLimitStorage } from '../rate-limit/rate-limit.storage.js';
import { presentedRefreshToken, refreshCookieName } from './presented-refresh-token.js';
import { claimedSessionId } from './tokens.service.js';

const COUNTERS = 'refresh';
/** A token that did not prove genuine; not a cookie-mode call without a cookie (a signed-out page asking). */
const REFUSED = new Set<ErrorCode>(['refresh_token_invalid', 'refresh_token_reused']);

/**
 * The per-account limit of the refresh route, on that route only. A refresh token starts with its session id, which is
 * no secret (every access token carries it), so a request is counted against the session only once
 * its token proved genuine (the refresh succeeded); a refused token is counted against the
 * sender's address instead. Either counter past RATE_LIMIT_REFRESH_ACCOUNT refuses further refreshes
 * of that session, or from that address, until its window ends.
 */
@Injectable()
export class RefreshLimitInterceptor implements NestInterceptor {
  constructor(
    @Inject(rateLimitConfig.KEY) private readonly config: RateLimitConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @InjectThrottlerStorage() private readonly storage: RateLimitStorage,
    private readonly metrics: MetricsService,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (!this.config.enabled) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { fromBody, fromCookies } = presentedRefreshToken(request, refreshCookieName(this.app.isProduction));
    const token = fromBody ?? fromCookies[0];
    const session = token ? claimedSessionId(token) : undefined;
    const keys = { sender: `refused:${normalizeIp(request.ip)}`, session: session && `session:${session}` };
    // Counted once per refused request, however many of its counters are over.
    await Promise.all([this.refuseIfOver(keys.sender), keys.session && this.refuseIfOver(keys.session)]).catch(
      (error: unknown) => {
        if (error instanceof TooManyRequestsException) this.metrics.countRateLimited('refresh_account');
        throw error;
      },
    );
    return next.handle().pipe(
      mergeMap(async (answer: unknown) => {
        if (keys.session) await this.count(keys.session);
        return answer;
      }),
      catchError(async (error: unknown) => {
        if (error instanceof HttpException && REFUSED.has(errorCodeOf(error))) await this.count(keys.sender);
        throw error;
      }),
    );
  }

  private async refuseIfOver(key: string): Promise<void> {
    const { hits, msToReset } = await this.storage.peek(key, COUNTERS);
    if (hits < this.config.rules.refresh.account.limit) return;
    const seconds = Math.max(1, Math.ceil(msToReset / 1000));
    throw new TooManyRequestsException(`Too many requests; try again in ${seconds} seconds`, seconds);
  }

  private async count(key: string): Promise<void> {
    const { limit, ttl } = this.config.rules.refresh.account;
    await this.storage.increment(key, ttl, limit, ttl, COUNTERS);
  }
}
