import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { ApiException } from '../../common/errors/api.exception.js';
import { authConfig, type AuthConfig } from '../../config/auth.config.js';
import type { AuthUser } from '../../common/request/auth-user.js';
import { SessionsService } from '../sessions.service.js';
import { VerifiedTokens } from '../verified-tokens.js';

/** `Bearer <jwt>`, the scheme in any case (RFC 7235 §2.1); no token from the query string or body. */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** Header fields that would point the verifier at another key; this service has one key and ignores none of them. */
const KEY_POINTERS = ['kid', 'jku', 'x5u', 'jwk', 'x5c', 'x5t', 'crit'];

/** Seconds of clock difference tolerated on exp, nbf and iat. */
export const CLOCK_TOLERANCE_SECONDS = 5;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
  if (!token) return null;
  try {
    const fields = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return fields.typ === undefined || fields.typ === 'JWT'
      ? KEY_POINTERS.some((field) => field in fields)
        ? null
        : token
      : null;
  } catch {
    return null;
  }
}

interface AccessPayload {
  sub?: unknown;
  sid?: unknown;
  jti?: unknown;
  exp?: unknown;
  iat?: unknown;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly sessions: SessionsService,
    private readonly verified: VerifiedTokens,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    super({
      passReqToCallback: true,
      jwtFromRequest: bearerToken,
      // jsonwebtoken accepts a KeyObject; the passport-jwt typings predate it.
      secretOrKey: config.jwt.key as unknown as Buffer,
      algorithms: [config.jwt.algorithm],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
    });
  }

  /** The token is authentic; now check that its session is live and read the user's current roles. */
  async validate(request: FastifyRequest, payload: AccessPayload): Promise<AuthUser> {
    const { sub, sid, jti, exp, iat } = payload;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof jti !== 'string' ||
      typeof exp !== 'number' ||
      typeof iat !== 'number'
    ) {
      throw new ApiException('token_invalid', 'Invalid access token');
    }
    if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new ApiException('token_invalid', 'Invalid access token');
    const identity = await this.sessions.findIdentity(sid, sub);
    if (!identity) throw new ApiException('session_ended', 'Session has ended');
    this.verified.remember(bearerToken(request)!, { sub, sid, exp });
    return identity;
  }
}
