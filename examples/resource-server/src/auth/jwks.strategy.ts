import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import {
  DEFAULT_JWKS_CACHE_MAX_AGE,
  jwksUri,
  RESOURCE_SERVER_OPTIONS,
  type ResourceServerOptions,
} from '../resource-server.options.js';
import type { Caller } from './current-caller.decorator.js';
import { rateLimitedJwksFetcher } from './jwks-fetcher.js';

/**
 * Passport keeps its strategies in one registry per process: a name of its own keeps this one from
 * replacing another `jwt` strategy that shares the process (the e2e test runs the auth service beside it).
 */
export const AUTH_SERVICE_STRATEGY = 'auth-service-jwt';

/** At most this many JWKS downloads a minute, however many kids tokens make up (jwks-rsa's default rate). */
const JWKS_REQUESTS_PER_MINUTE = 10;
const JWKS_TIMEOUT_MS = 5000;
/** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`, as the auth service does. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** The claims this service reads; passport-jwt has checked the signature, `exp`, `iss` and `aud` before. */
interface AccessTokenClaims {
  sub?: unknown;
  roles?: unknown;
}

/** Verifies the auth service's access tokens offline, with the public keys of its JWKS. */
@Injectable()
export class JwksStrategy extends PassportStrategy(Strategy, AUTH_SERVICE_STRATEGY) {
  constructor(@Inject(RESOURCE_SERVER_OPTIONS) options: ResourceServerOptions) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // The key named by the token's `kid`, each cached for jwksCacheMaxAge; a `kid` not seen yet (a
      // rotation) fetches the JWKS again, within the fetcher's limit (see there why not jwks-rsa's own).
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: jwksUri(options.authUrl),
        cache: true,
        cacheMaxAge: (options.jwksCacheMaxAge ?? DEFAULT_JWKS_CACHE_MAX_AGE) * 1000,
        rateLimit: false,
        fetcher: rateLimitedJwksFetcher(JWKS_REQUESTS_PER_MINUTE, JWKS_TIMEOUT_MS),
      }),
      // Pinned here, never taken from the token: no `none`, no HS256 keyed with a public key.
      algorithms: ['ES256', 'RS256'],
      issuer: options.issuer,
      audience: options.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
    });
  }

  validate(claims: AccessTokenClaims): Caller {
    const { sub, roles } = claims;
    if (typeof sub !== 'string' || !isStringArray(roles)) throw new UnauthorizedException();
    return { sub, roles };
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
