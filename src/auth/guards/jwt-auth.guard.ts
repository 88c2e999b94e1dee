import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import type { AuthUser } from '../../common/request/auth-user.js';
import { IS_PUBLIC_KEY } from '../../common/request/public.decorator.js';
import { SessionsService } from '../sessions.service.js';
import { bearerToken } from '../strategies/jwt.strategy.js';
import { VerifiedTokens } from '../verified-tokens.js';

/** Global: every route needs a valid access token unless it is marked `@Public()`. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly verified: VerifiedTokens,
    private readonly sessions: SessionsService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const token = bearerToken(request);
    const claims = token ? this.verified.get(token) : undefined;
    if (!claims) return (await super.canActivate(context)) as boolean;
    // A token passport-jwt has already verified: only the session and user need checking again.
    const identity = await this.sessions.findIdentity(claims.sid, claims.sub);
    if (!identity) throw new ApiException('session_ended', 'Session has ended');
    request.user = identity;
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (error) throw error instanceof Error ? error : new ApiException('token_invalid', 'Invalid access token');
    if (user) return user;
    if (info instanceof Error && info.name === 'TokenExpiredError')
      throw new ApiException('token_expired', 'Access token has expired');
    throw missingOrMalformed(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
  }
}

/** Why no token could be read: none sent, a token without its scheme, or something that is no access token. */
function missingOrMalformed(header: string | undefined): ApiException {
  if (!header) return new ApiException('token_missing', 'Send the access token as Authorization: Bearer <token>');
  if (!/^bearer\s/i.test(header)) {
    return new ApiException(
      'token_invalid',
      'The Authorization header must be Bearer <token>: put "Bearer " before the access token',
    );
  }
  return new ApiException('token_invalid', 'Invalid access token');
}
