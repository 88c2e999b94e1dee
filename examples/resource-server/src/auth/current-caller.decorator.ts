import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who sent the request, as the access token says: its `sub` (the user id) and `roles` when it was issued. */
export interface Caller {
  sub: string;
  roles: string[];
}

/** The caller of a guarded route (passport puts it on `request.user`). */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller => context.switchToHttp().getRequest<{ user: Caller }>().user,
);
