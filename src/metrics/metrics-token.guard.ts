import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiException } from '../common/errors/api.exception.js';
import { metricsConfig, type MetricsConfig } from '../config/metrics.config.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * `/metrics` without METRICS_TOKEN does not exist (404, as any unknown route answers); with it, only a
 * caller presenting the token gets through. The token is compared through its SHA-256, in constant time.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(metricsConfig.KEY) private readonly config: MetricsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const expected = this.config.tokenSha256;
    if (!expected) throw new ApiException('not_found', `Cannot ${request.method} ${request.url}`);
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) {
      throw new ApiException('metrics_unauthorized', 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>');
    }
    return true;
  }
}
