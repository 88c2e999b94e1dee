import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import { ServiceClientRateLimitGuard } from '../../rate-limit/rate-limit.guard.js';
import { markServiceClient } from '../../rate-limit/service-client.js';
import { IntrospectionClientsService } from '../introspection-clients.service.js';

/**
 * Lets through only a registered introspection client (HTTP Basic). The limits are counted before the
 * verdict: a client on its own counter, anything else (a wrong secret too) on its address's.
 */
@Injectable()
export class IntrospectionClientGuard implements CanActivate {
  constructor(
    private readonly clients: IntrospectionClientsService,
    private readonly limits: ServiceClientRateLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const clientId = await this.clients.authenticate(request.headers.authorization);
    if (clientId !== undefined) markServiceClient(request, clientId);
    await this.limits.canActivate(context);
    if (clientId === undefined) {
      throw new ApiException(
        'client_unauthorized',
        'Unknown introspection client or wrong secret: send the client id and secret as HTTP Basic credentials',
      );
    }
    return true;
  }
}
