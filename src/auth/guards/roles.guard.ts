import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import { hasSecondFactor } from '../../common/request/auth-methods.js';
import { Role } from '../../common/request/role.enum.js';
import { authUserOf } from '../../common/request/current-user.decorator.js';
import { ROLES_KEY } from '../../common/request/roles.decorator.js';
import { cachingReflector } from '../../common/request/route-metadata.js';
import { mfaConfig, type MfaConfig } from '../../config/mfa.config.js';

/**
 * Runs after the JWT guard; the roles come from the database row JwtStrategy read for this request.
 * With REQUIRE_MFA_FOR_ADMINS, a route only an admin may call also needs a session whose login went
 * past the password (the session's `amr`, read with it): an admin who has no second factor yet, or
 * signed in with the password alone, is told to set one up and sign in with it.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly reflector = cachingReflector();

  constructor(@Inject(mfaConfig.KEY) private readonly mfa: MfaConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!required?.length) return true;
    const auth = authUserOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (!auth || !required.some((role) => auth.user.roles.includes(role)))
      throw new ForbiddenException(`Requires one of the roles: ${required.join(', ')}`);
    if (this.mfa.requireForAdmins && required.every((role) => role === Role.Admin) && !hasSecondFactor(auth.amr)) {
      throw new ApiException(
        'mfa_setup_required',
        'Admin routes need a session signed in with a second factor: set up an authenticator app or a passkey on your account, then sign in again with it',
      );
    }
    return true;
  }
}
