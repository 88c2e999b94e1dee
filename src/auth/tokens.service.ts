import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SealedBox } from '../common/crypto/sealed-box.js';
import type { AuthMethod } from '../common/request/auth-methods.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { sha256Hex } from '../common/crypto/sha256.js';

/** `<session id>.<256 random bits, base64url>` */
const REFRESH_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** What a session hands out at one moment: the refresh token, and the rotation and time the access token is signed for. */
export interface SessionGrant {
  sessionId: string;
  refreshToken: string;
  /** Which rotation of the session this is (0: login). */
  generation: number;
  issuedAt: Date;
  /** The session's login methods, the token's `amr`. */
  amr: readonly AuthMethod[];
}

/**
 * The session a presented refresh token claims, well-formed or not (the part before its first dot):
 * the refresh limit counts by it, so a session whose counter is full refuses any token naming it.
 */
export function claimedSessionId(refreshToken: string): string {
  return refreshToken.split('.')[0];
}

/** A UUID-shaped id, unique to one rotation of one session. */
function tokenId(sessionId: string, generation: number): string {
  const hex = sha256Hex(`${sessionId}:${generation}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Issues token pairs (signs access tokens, mints and reads refresh tokens) and seals values kept in the database. */
@Injectable()
export class TokensService implements OnModuleInit {
  private readonly box: SealedBox;
  private readonly accessTtl: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.accessTtl = config.jwt.accessTtl;
    this.box = new SealedBox(config.jwt.masterSecret, 'auth-service/sealed-successor');
  }

  /** The service does not start with a master secret that cannot open its signing key. */
  onModuleInit(): void {
    this.keys.assertCanSign();
  }

  /**
   * The token pair of a grant, as login, registration and refresh all answer it, signed with the
   * current key (its `kid` in the header). The claims are the same for one session, generation and
   * time: a racing tab handed the pair already issued gets the same `jti`, `iat` and `exp` (an ECDSA
   * signature differs each time). `roles` is informational for clients: the JWT strategy reads roles
   * from the database on every request.
   */
  issue(user: User, { sessionId, refreshToken, generation, issuedAt, amr }: SessionGrant): TokenResponseDto {
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const signer = this.keys.signer();
    const accessToken = this.jwt.sign(
      { sid: sessionId, roles: user.roles, amr, iat },
      {
        privateKey: signer.key,
        algorithm: signer.algorithm,
        keyid: signer.kid,
        subject: user.id,
        jwtid: tokenId(sessionId, generation),
      },
    );
    return { accessToken, refreshToken, expiresIn: this.accessTtl, tokenType: 'Bearer', user: UserResponseDto.from(user) };
  }

  newRefreshToken(sessionId: string): { token: string; hash: string } {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: this.hashToken(token) };
  }

  /** The session a refresh token names and the token's hash; null when it is not a refresh token at all. */
  readRefreshToken(token: string): { sessionId: string; hash: string } | null {
    const match = REFRESH_TOKEN.exec(token);
    return match ? { sessionId: match[1], hash: this.hashToken(token) } : null;
  }

  /** SHA-256 (hex): what the database keeps of a refresh or one-time token. */
  hashToken(token: string): string {
    return sha256Hex(token);
  }

  sameHash(a: string | null, b: string): boolean {
    return a !== null && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  }

  /** AES-256-GCM under a key derived from the master secret: a database dump alone does not reveal it. */
  seal(value: unknown): string {
    return this.box.seal(value);
  }

  unseal<T>(sealed: string): T | null {
    return this.box.unseal<T>(sealed);
  }
}
