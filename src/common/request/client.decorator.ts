import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientInfo, type ClientInfo } from './client-info.js';

/** The caller's user agent and address, as recorded on sessions and audit events. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo =>
  clientInfo(context.switchToHttp().getRequest<FastifyRequest>()),
);
