import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { User } from '../../users/entities/user.entity.js';

/** Where LocalAuthGuard leaves the user it checked; `request.user` stays the JWT strategy's caller. */
export const CHECKED_USER = 'checkedUser';

/** On login: the user whose password the local strategy has just checked, with its hash (for the session's re-check). */
export const CheckedUser = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const user = context.switchToHttp().getRequest<FastifyRequest & { [CHECKED_USER]?: User }>()[CHECKED_USER];
  if (!user)
    throw new Error(`@CheckedUser() on ${context.getClass().name}.${context.getHandler().name}, which has no LocalAuthGuard`);
  return user;
});
