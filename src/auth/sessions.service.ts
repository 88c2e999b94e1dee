import { Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import type { User } from '../users/entities/user.entity.js';
import type { Role } from '../users/role.enum.js';
import type { AuthUser, ClientInfo, TokenPair } from './auth-user.js';
import { Session, type SessionEndReason } from './entities/session.entity.js';
import { IdentityCache } from './identity-cache.js';
import { TokensService } from './tokens.service.js';

/** A session that has neither been ended nor run out. */
const LIVE = 'session.revokedAt IS NULL AND session.expiresAt > :now';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One indexed lookup per request: the session is live and the user exists, with the user's current state. */
const IDENTITY_SQL = `
  SELECT u.id, u.email, u.name, u.roles, u.email_verified_at, u.created_at, u.updated_at, s.expires_at
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.disabled_at IS NULL`;

interface IdentityRow {
  id: string;
  email: string;
  name: string | null;
  roles: Role[];
  email_verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

type RefreshOutcome = { kind: 'issued'; pair: TokenPair; user: User } | { kind: 'invalid' } | { kind: 'reused' };

/** Creates, rotates, lists and ends sessions: the server-side state behind every token. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly tokens: TokensService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly audit: AuditService,
    private readonly cache: IdentityCache,
  ) {}

  /** Opens a session for a user who has just proven who they are, and issues its first pair. */
  async start(user: User, client: ClientInfo, manager: EntityManager = this.dataSource.manager): Promise<TokenPair> {
    const sessionId = randomUUID();
    const refresh = this.tokens.newRefreshToken(sessionId);
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.config.refresh.maxTtl * 1000);
    await manager.insert(Session, {
      id: sessionId,
      userId: user.id,
      refreshTokenHash: refresh.hash,
      userAgent: client.userAgent,
      ip: client.ip,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: this.refreshExpiry(now, absoluteExpiresAt),
      absoluteExpiresAt,
    });
    return this.pair(user, sessionId, refresh.token);
  }

  /**
   * Spends a refresh token for the next pair, under a row lock so concurrent calls see one successor.
   * Within the reuse window the token just spent gets that same successor again (tabs racing);
   * any other spent token means a copy is in someone else's hands, and the whole session ends.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<{ pair: TokenPair; user: User }> {
    const presented = this.tokens.readRefreshToken(refreshToken);
    const outcome: RefreshOutcome = presented
      ? await this.dataSource.transaction((manager) => this.rotate(manager, presented.sessionId, presented.hash, client))
      : { kind: 'invalid' };
    switch (outcome.kind) {
      case 'issued':
        return outcome;
      case 'reused':
        throw new UnauthorizedException('Refresh token was already used; the session has been ended');
      case 'invalid':
        throw new UnauthorizedException('Invalid or expired refresh token');
    }
  }

  /** The caller behind an access token, or null when its session has ended or its user is gone. */
  async findIdentity(sessionId: string, userId: string): Promise<AuthUser | null> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
    const cached = this.cache.get(sessionId, userId);
    if (cached) return cached;
    const mark = this.cache.mark;
    const rows: IdentityRow[] = await this.dataSource.query(IDENTITY_SQL, [sessionId, userId, new Date()]);
    const row = rows[0];
    if (!row) return null;
    const identity: AuthUser = {
      sessionId,
      user: {
        id: row.id,
        email: row.email,
        name: row.name,
        roles: row.roles,
        emailVerifiedAt: row.email_verified_at,
        disabledAt: null,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      } as User,
    };
    this.cache.set(identity, row.expires_at, mark);
    return identity;
  }

  listActive(userId: string): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('session')
      .where('session.userId = :userId', { userId })
      .andWhere(LIVE, { now: new Date() })
      .orderBy('session.lastUsedAt', 'DESC')
      .getMany();
  }

  /** Ends one of the user's live sessions; 404 when it is not one. */
  async end(userId: string, sessionId: string, reason: SessionEndReason, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended = await this.revoke(manager, reason, 'id = :sessionId AND user_id = :userId', { sessionId, userId });
      this.cache.forgetSession(sessionId, manager);
      if (ended === 0) throw new NotFoundException('Session not found');
      const type = reason === 'logout' ? 'logout' : 'session_ended';
      await this.audit.record({ type, userId, client, detail: { sessionId } }, manager);
    });
  }

  /** Ends every live session of the user, but `except` (the caller's own, on a password change). */
  async endAll(manager: EntityManager, userId: string, reason: SessionEndReason, except?: string): Promise<number> {
    this.cache.forgetUser(userId, manager);
    return except
      ? this.revoke(manager, reason, 'user_id = :userId AND id <> :except', { userId, except })
      : this.revoke(manager, reason, 'user_id = :userId', { userId });
  }

  async logoutAll(userId: string, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended = await this.endAll(manager, userId, 'logout_all');
      await this.audit.record({ type: 'logout_all', userId, client, detail: { sessions: ended } }, manager);
    });
  }

  private async rotate(manager: EntityManager, sessionId: string, hash: string, client: ClientInfo): Promise<RefreshOutcome> {
    const now = new Date();
    const session = await manager
      .createQueryBuilder(Session, 'session')
      .innerJoinAndSelect('session.user', 'user')
      .where('session.id = :sessionId', { sessionId })
      .andWhere(LIVE, { now })
      .andWhere('user.disabledAt IS NULL')
      .setLock('pessimistic_write', undefined, ['session'])
      .getOne();
    if (!session?.user) return { kind: 'invalid' };
    const user = session.user;

    if (this.tokens.sameHash(session.refreshTokenHash, hash)) {
      const next = this.tokens.newRefreshToken(session.id);
      const pair = this.pair(user, sessionId, next.token);
      await manager.update(Session, session.id, {
        refreshTokenHash: next.hash,
        previousTokenHash: session.refreshTokenHash,
        generation: session.generation + 1,
        rotatedAt: now,
        successorSealed: this.config.refresh.reuseWindow > 0 ? this.tokens.seal(pair) : null,
        lastUsedAt: now,
        expiresAt: this.refreshExpiry(now, session.absoluteExpiresAt),
        userAgent: client.userAgent ?? session.userAgent,
        ip: client.ip ?? session.ip,
      });
      return { kind: 'issued', pair, user };
    }

    if (this.tokens.sameHash(session.previousTokenHash, hash) && this.inReuseWindow(session, now)) {
      const pair = this.tokens.unseal<TokenPair>(session.successorSealed ?? '');
      if (pair) return { kind: 'issued', pair, user };
    }

    await manager.update(Session, session.id, { revokedAt: now, revokedReason: 'refresh_reuse', successorSealed: null });
    this.cache.forgetSession(session.id, manager);
    await this.audit.record({ type: 'refresh_reuse_detected', userId: user.id, client, detail: { sessionId: session.id } }, manager);
    return { kind: 'reused' };
  }

  private pair(user: User, sessionId: string, refreshToken: string): TokenPair {
    const accessToken = this.tokens.signAccessToken({ userId: user.id, sessionId, roles: user.roles });
    return { accessToken, refreshToken, expiresIn: this.config.jwt.accessTtl };
  }

  private inReuseWindow(session: Session, now: Date): boolean {
    const windowMs = this.config.refresh.reuseWindow * 1000;
    return windowMs > 0 && session.rotatedAt !== null && now.getTime() - session.rotatedAt.getTime() <= windowMs;
  }

  private refreshExpiry(from: Date, absoluteExpiresAt: Date): Date {
    return new Date(Math.min(from.getTime() + this.config.refresh.idleTtl * 1000, absoluteExpiresAt.getTime()));
  }

  private async revoke(manager: EntityManager, reason: SessionEndReason, scope: string, parameters: Record<string, string>): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: new Date(), revokedReason: reason, successorSealed: null })
      .where(`${scope} AND revoked_at IS NULL AND expires_at > :now`, { ...parameters, now: new Date() })
      .execute();
    return result.affected ?? 0;
  }
}
