import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The authenticated caller: an `AuthUser` on guarded routes; on login, the `User` whose password the
 * local strategy has just checked.
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown =>
    context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>().user,
);
