import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { accessClaims, accessHeader, accessTokenVerifyOptions, type AccessClaims } from './access-token.js';

/** An access token's claims once its key, signature and times have checked out. */
export interface VerifiedAccessToken extends AccessClaims {
  iss?: string;
  aud?: string | string[];
}

/**
 * Verifies an access token outside a request's own authentication (introspection), exactly as the JWT
 * strategy does: a live key of ours named by `kid`, that key's own algorithm, the same options. The
 * session is not looked at here.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly options: ReturnType<typeof accessTokenVerifyOptions>;

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.options = accessTokenVerifyOptions(config.jwt);
  }

  /** The token's claims; null when it is not an unexpired access token signed by a live key of ours. */
  async verify(token: string): Promise<VerifiedAccessToken | null> {
    const header = accessHeader(token);
    const key = header && (await this.keys.verifierReloading(header.kid, header.alg));
    if (!key) return null;
    let payload: Record<string, unknown>;
    try {
      // jsonwebtoken accepts a KeyObject; the @nestjs/jwt typings predate it.
      payload = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        ...this.options,
        publicKey: key as unknown as Buffer,
      });
    } catch {
      return null;
    }
    const claims = accessClaims(payload);
    if (!claims) return null;
    const { iss, aud } = payload;
    return {
      ...claims,
      ...(typeof iss === 'string' && { iss }),
      ...((typeof aud === 'string' || Array.isArray(aud)) && { aud: aud as string | string[] }),
    };
  }
}
