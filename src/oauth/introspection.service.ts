import { Injectable } from '@nestjs/common';
import { AccessTokenVerifier } from '../auth/access-token-verifier.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { IntrospectionResponseDto } from './dto/introspection-response.dto.js';

/** Longer than any token this service issues: not looked at. */
const MAX_TOKEN_LENGTH = 4096;

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Token introspection (RFC 7662) for product services: whether a token is usable right now, with the
 * session and the user's state read from the database. Only reads: a refresh token looked at is not
 * rotated, not counted as used, and never taken for a reuse.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly accessTokens: AccessTokenVerifier,
    private readonly sessions: SessionsService,
  ) {}

  /** The hint only decides which kind is looked for first (RFC 7662 §2.1). */
  async introspect(token: string, hint?: string): Promise<IntrospectionResponseDto> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { active: false };
    const access = () => this.accessToken(token);
    const refresh = () => this.refreshToken(token);
    for (const lookUp of hint === 'refresh_token' ? [refresh, access] : [access, refresh]) {
      const answer = await lookUp();
      if (answer) return answer;
    }
    return { active: false };
  }

  /** Signed by a live key of ours, unexpired, its session live and its user active. */
  private async accessToken(token: string): Promise<IntrospectionResponseDto | null> {
    const claims = await this.accessTokens.verify(token);
    const identity = claims && (await this.sessions.findIdentityNow(claims.sid, claims.sub));
    if (!claims || !identity) return null;
    const { sub, sid, jti, exp, iat, iss, aud } = claims;
    return {
      active: true,
      sub,
      sid,
      jti,
      exp,
      iat,
      ...(iss !== undefined && { iss }),
      ...(aud !== undefined && { aud }),
      token_type: 'Bearer',
      token_use: 'access_token',
      roles: [...identity.user.roles],
    };
  }

  /** The current refresh token of a live session of an active user. */
  private async refreshToken(token: string): Promise<IntrospectionResponseDto | null> {
    const session = await this.sessions.findByRefreshToken(token);
    if (!session) return null;
    return {
      active: true,
      sub: session.user.id,
      sid: session.sessionId,
      exp: seconds(session.expiresAt),
      iat: seconds(session.issuedAt),
      token_use: 'refresh_token',
      roles: [...session.user.roles],
    };
  }
}
