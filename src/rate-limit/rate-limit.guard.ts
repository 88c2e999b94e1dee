import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { TooManyRequestsException } from '../common/errors/too-many-requests.exception.js';
import { cachingReflector } from '../common/request/route-metadata.js';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config.js';
import { MetricsService, type RateLimitName } from '../metrics/metrics.service.js';
import { rateLimitRuleOf } from './rate-limit-rule.js';
import { SERVICE_CLIENT_ROUTE_KEY, serviceClientOf } from './service-client.js';

/** The per-account throttler's key each request was counted under, so that a refusal can give the hit back. */
const accountHits = new WeakMap<object, string>();

export function accountHitOf(request: object): string | undefined {
  return accountHits.get(request);
}

const ALLOWED = Promise.resolve(true);

/** The throttler, answering 429 in the common error shape with a plain `Retry-After` header. */
abstract class RateLimitGuard extends ThrottlerGuard {
  /** The named throttlers this guard applies. */
  protected abstract readonly applies: readonly string[];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    @Inject(rateLimitConfig.KEY) private readonly limits: RateLimitConfig,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, cachingReflector());
  }

  /** With RATE_LIMIT=off, nothing to look up or count. */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    return this.limits.enabled ? super.canActivate(context) : ALLOWED;
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((throttler) => this.applies.includes(throttler.name ?? ''));
  }

  /** Counts each refusal under the name of the limit that refused it. */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(props);
    } catch (error) {
      if (error instanceof TooManyRequestsException) this.metrics.countRateLimited(limitName(props));
      throw error;
    }
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new TooManyRequestsException(`Too many requests; try again in ${seconds} seconds`, seconds);
  }
}

function limitName({ throttler, context }: ThrottlerRequest): RateLimitName {
  if (throttler.name === 'global') return 'global';
  if (throttler.name === 'client') return 'introspection';
  return `${rateLimitRuleOf(context)!}_${throttler.name === 'ip' ? 'ip' : 'account'}`;
}

/** Runs first, on every request: the looser per-IP limit, before any token is checked. */
@Injectable()
export class GlobalRateLimitGuard extends RateLimitGuard {
  protected readonly applies = ['global'];

  /** A service-client route counts the limit itself, once it knows whether the caller is a client. */
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const route = [context.getHandler(), context.getClass()];
    return Promise.resolve(this.reflector.getAllAndOverride<boolean | undefined>(SERVICE_CLIENT_ROUTE_KEY, route) === true);
  }
}

/**
 * Called by the guard of a service-client route after it has tried the client's credentials: an
 * authenticated client is counted on its own (generous) counter and never on its address's, so a
 * busy service is not held by limits meant for people; any other request counts against the global
 * per-address limit, as on every route, so client secrets cannot be guessed faster than that.
 */
@Injectable()
export class ServiceClientRateLimitGuard extends RateLimitGuard {
  protected readonly applies = ['global', 'client'];

  protected override handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const client = serviceClientOf(props.context.switchToHttp().getRequest<object>());
    if (props.throttler.name !== (client === undefined ? 'global' : 'client')) return Promise.resolve(true);
    return super.handleRequest(props);
  }
}

/** Runs after authentication, so a route's per-account limit can count the signed-in caller. */
@Injectable()
export class RouteRateLimitGuard extends RateLimitGuard {
  protected readonly applies = ['ip', 'account'];

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const allowed = await super.handleRequest(props);
    if (props.throttler.name === 'account') {
      const request = props.context.switchToHttp().getRequest<object>();
      accountHits.set(request, props.generateKey(props.context, await props.getTracker(request, props.context), 'account'));
    }
    return allowed;
  }
}
