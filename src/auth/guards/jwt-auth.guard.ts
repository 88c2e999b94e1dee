import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import { IS_PUBLIC_KEY } from '../../common/request/public.decorator.js';
import { cachingReflector } from '../../common/request/route-metadata.js';

/** Global: every route needs a valid access token unless it is marked `@Public()`; JwtStrategy decides. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly reflector = cachingReflector();

  /** A public route answers at once, without a promise to wait for. */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic === true || (super.canActivate(context) as Promise<boolean>);
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
