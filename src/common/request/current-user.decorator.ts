import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from './auth-user.js';

/** The caller the JWT strategy authenticated, or undefined on a route that authenticates nobody. */
export function authUserOf(request: FastifyRequest): AuthUser | undefined {
  return (request as FastifyRequest & { user?: AuthUser }).user;
}

/**
 * The authenticated caller of a guarded route. On a `@Public()` route there is none: asking for it
 * there is a programming error, answered 500 rather than run as nobody.
 */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const auth = authUserOf(context.switchToHttp().getRequest<FastifyRequest>());
  if (!auth)
    throw new Error(`@CurrentUser() on ${context.getClass().name}.${context.getHandler().name}, which authenticates no one`);
  return auth;
});
