import { ForbiddenException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Caller } from './current-caller.decorator.js';
import { ROLES_KEY } from './roles.decorator.js';

/** Runs after JwtAuthGuard; the roles are the token's, as they were when it was issued. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const caller = context.switchToHttp().getRequest<{ user?: Caller }>().user;
    if (caller && required.some((role) => caller.roles.includes(role))) return true;
    throw new ForbiddenException(`Requires one of the roles: ${required.join(', ')}`);
  }
}
