import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { ApiException } from '../../common/errors/api.exception.js';
import type { AuthUser } from '../../common/request/auth-user.js';
import { authConfig, type AuthConfig } from '../../config/auth.config.js';
import { SigningKeysService } from '../../signing-keys/signing-keys.service.js';
import { accessClaims, accessHeader, accessTokenVerifyOptions, type AccessHeader } from '../access-token.js';
import { SessionsService } from '../sessions.service.js';
import { VerifiedTokens, type VerifiedClaims } from '../verified-tokens.js';

/** `Bearer <jwt>`, the scheme in any case (RFC 7235 §2.1); no token from the query string or body. */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

interface PresentedToken {
  token: string;
  header: AccessHeader;
}

/** The access token of an `Authorization: Bearer` header and its JWT header; null when there is none, or its header is not one of ours. */
function bearerToken(request: FastifyRequest): PresentedToken | null {
  const authorization = request.headers.authorization;
  const token = typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined;
  const header = token ? accessHeader(token) : null;
  return token && header ? { token, header } : null;
}

/** The token each request presents, read (and its header parsed) once, in `authenticate`. */
const presented = new WeakMap<object, PresentedToken>();

/**
 * Decides every request that needs a bearer token. A token seen before is looked up in VerifiedTokens
 * (its signature and claims were checked then, and the same bytes would pass again); any other goes
 * through passport-jwt's verification. Either way `identify()` then checks, on every request, that
 * the session is live and reads the user's current state.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly sessions: SessionsService,
    private readonly verified: VerifiedTokens,
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    const verify = accessTokenVerifyOptions(config.jwt);
    super({
      passReqToCallback: true,
      jwtFromRequest: (request: object) => presented.get(request)?.token ?? null,
      // Only a live key of ours, named by the token's `kid`, and only with that key's own algorithm:
      // no algorithm confusion (an HMAC over a public key), no key the token brings along.
      secretOrKeyProvider: (request: object, _token: string, done: (error: Error | null, key?: Buffer) => void) => {
        const header = presented.get(request)?.header;
        if (!header) return done(new ApiException('token_invalid', 'Invalid access token'));
        keys.verifierReloading(header.kid, header.alg).then(
          // jsonwebtoken accepts a KeyObject; the passport-jwt typings predate it.
          (key) => (key ? done(null, key as unknown as Buffer) : done(new ApiException('token_invalid', 'Invalid access token'))),
          (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
        );
      },
      // passport-jwt replaces these of jsonWebTokenOptions with its own top-level options.
      algorithms: verify.algorithms,
      issuer: verify.issuer,
      audience: verify.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: verify,
    });
  }

  /** Passport's entry, per request: a token verified before skips the signature check, nothing else. */
  override authenticate(request: Parameters<Strategy['authenticate']>[0], options?: object): void {
    const token = bearerToken(request as unknown as FastifyRequest);
    const remembered = token === null ? undefined : this.verified.get(token.token);
    // A key revoked since stops its tokens at once, remembered or not.
    const claims = remembered && this.keys.trusts(remembered.kid) ? remembered : undefined;
    if (!claims) {
      if (token !== null) presented.set(request, token);
      super.authenticate(request, options);
      return;
    }
    this.identify(claims).then(
      // Checked again once identify() has let the notifications already received be handled.
      (identity) =>
        this.keys.trusts(claims.kid)
          ? this.success(identity)
          : this.fail(new ApiException('token_invalid', 'Invalid access token'), 401),
      (error: unknown) => this.error(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Called by passport-jwt once the signature and the registered claims check out. */
  async validate(request: object, payload: Record<string, unknown>): Promise<AuthUser> {
    const verified = accessClaims(payload);
    if (!verified) throw new ApiException('token_invalid', 'Invalid access token');
    const { sub, sid, exp } = verified;
    const { token, header } = presented.get(request)!;
    const claims = { sub, sid, exp, kid: header.kid };
    const identity = await this.identify(claims);
    this.verified.remember(token, claims);
    return identity;
  }

  /** The one place that decides whether the token's session is still live. */
  private async identify({ sub, sid }: VerifiedClaims): Promise<AuthUser> {
    const identity = await this.sessions.findIdentity(sid, sub);
    if (!identity) throw new ApiException('session_ended', 'Session has ended');
    return identity;
  }
}
