import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../../common/request/role.enum.js';
import { authUserOf } from '../../common/request/current-user.decorator.js';
import { ROLES_KEY } from '../../common/request/roles.decorator.js';
import { cachingReflector } from '../../common/request/route-metadata.js';

/** Runs after the JWT guard; the roles come from the database row JwtStrategy read for this request. */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly reflector = cachingReflector();

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!required?.length) return true;
    const auth = authUserOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (auth && required.some((role) => auth.user.roles.includes(role))) return true;
    throw new ForbiddenException(`Requires one of the roles: ${required.join(', ')}`);
  }
}
