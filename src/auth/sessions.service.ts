import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthMethod } from '../common/request/auth-methods.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import type { Session, SessionEndReason } from './entities/session.entity.js';
import { IdentityCache } from './identity-cache.js';
import { spendOneTimeTokens } from './one-time-tokens.service.js';
import { idleDeadline, SessionRepository, type RefreshTokenState } from './session.repository.js';
import { TokensService } from './tokens.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opens, looks up, lists and ends sessions: the server-side state behind every token. (Refresh: SessionRotationService.) */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly tokens: TokensService,
    private readonly cache: IdentityCache,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /**
   * Opens a session, in the caller's transaction, for a user who has just proven who they are (`amr`:
   * how); answers its first pair.
   */
  async start(manager: EntityManager, user: User, client: ClientInfo, amr: readonly AuthMethod[]): Promise<TokenResponseDto> {
    const sessionId = randomUUID();
    const refresh = this.tokens.newRefreshToken(sessionId);
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.config.refresh.maxTtl * 1000);
    await this.sessions.insert(manager, {
      id: sessionId,
      userId: user.id,
      refreshTokenHash: refresh.hash,
      userAgent: client.userAgent,
      ip: client.ip,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(Math.min(idleDeadline(now, this.config.refresh.idleTtl).getTime(), absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
      amr: [...amr],
    });
    return this.tokens.issue(user, { sessionId, refreshToken: refresh.token, generation: 0, issuedAt: now, amr });
  }

  /** The caller behind an access token, or null when its session has ended or its user is disabled or gone. */
  async findIdentity(sessionId: string, userId: string): Promise<AuthUser | null> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
    const cached = await this.cache.lookup(sessionId, userId);
    if (cached) return cached;
    const mark = this.cache.mark;
    const found = await this.readIdentity(sessionId, userId);
    if (!found) return null;
    this.cache.set(found.identity, found.expiresAt, mark);
    return found.identity;
  }

  /** As findIdentity, read from the database now, past the identity cache: for an answer another service acts on. */
  async findIdentityNow(sessionId: string, userId: string): Promise<AuthUser | null> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
    return (await this.readIdentity(sessionId, userId))?.identity ?? null;
  }

  private async readIdentity(sessionId: string, userId: string): Promise<{ identity: AuthUser; expiresAt: Date } | null> {
    const found = await this.sessions.findIdentity(sessionId, new Date());
    // The token's user must own the session (compared here so the lookup stays on the primary key).
    if (!found || found.user.id !== userId) return null;
    return { identity: { sessionId, user: found.user, amr: found.amr }, expiresAt: found.expiresAt };
  }

  /**
   * The session whose current refresh token this is, when that session is live and its user active;
   * null for anything else (a spent token included). Only reads: nothing is rotated, counted or ended.
   */
  async findByRefreshToken(refreshToken: string): Promise<(RefreshTokenState & { sessionId: string }) | null> {
    const presented = this.tokens.readRefreshToken(refreshToken);
    if (!presented) return null;
    const state = await this.sessions.findRefreshState(presented.sessionId, new Date());
    return state && this.tokens.sameHash(state.refreshTokenHash, presented.hash)
      ? { ...state, sessionId: presented.sessionId }
      : null;
  }

  listActive(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId, new Date());
  }

  /**
   * Ends one of the user's live sessions; 404 when it is not one. `by` names the admin who ended
   * someone else's session, for the audit log.
   */
  async end(userId: string, sessionId: string, reason: SessionEndReason, client: ClientInfo, by?: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended = await this.sessions.endOne(manager, userId, sessionId, reason);
      this.cache.forgetSession(manager, sessionId);
      if (ended === 0) throw new ApiException('not_found', 'Session not found');
      const type = reason === 'logout' ? 'logout' : 'session_ended';
      await this.audit.record(manager, { type, userId, client, detail: by ? { sessionId, by } : { sessionId } });
    });
  }

  /** Ends every live session of the user, in the caller's transaction, but `except` (the caller's own, on a password change). */
  endAll(manager: EntityManager, userId: string, reason: SessionEndReason, except?: string): Promise<number> {
    this.cache.forgetUser(manager, userId);
    return this.sessions.endAllOf(manager, userId, reason, except);
  }

  async logoutAll(userId: string, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The user row first, as every flow that spends mailed links locks it: an email change being
      // requested meanwhile either commits first (and its link is spent below) or sees its session ended.
      await this.users.lockById(manager, userId);
      const ended = await this.endAll(manager, userId, 'logout_all');
      // A pending email change was asked for from one of these sessions: it ends with them.
      await spendOneTimeTokens(manager, userId, 'change_email');
      await this.audit.record(manager, { type: 'logout_all', userId, client, detail: { sessions: ended } });
    });
  }

  /**
   * The session has just proven another method (a second factor set up from it): its amr gains it at
   * once, on every instance, and its next tokens carry it. False when the session is no longer live.
   */
  addMethod(manager: EntityManager, sessionId: string, method: AuthMethod): Promise<boolean> {
    this.cache.forgetSession(manager, sessionId);
    return this.sessions.addMethod(manager, sessionId, method, new Date());
  }

  /** Takes `method` out of the amr of every live session of the user, in the caller's transaction (a factor was removed). */
  dropMethod(manager: EntityManager, userId: string, method: AuthMethod): Promise<number> {
    this.cache.forgetUser(manager, userId);
    return this.sessions.dropMethod(manager, userId, method, new Date());
  }

  /** Whether the session is live, read in the caller's transaction, past the identity cache. */
  isLive(manager: EntityManager, sessionId: string): Promise<boolean> {
    return this.sessions.isLive(manager, sessionId, new Date());
  }

  /** Whether the session is live and was signed in to within the last `ms` (a refresh does not renew that). */
  isFresh(manager: EntityManager, sessionId: string, ms: number): Promise<boolean> {
    const now = new Date();
    return this.sessions.isLiveSince(manager, sessionId, new Date(now.getTime() - ms), now);
  }
}
