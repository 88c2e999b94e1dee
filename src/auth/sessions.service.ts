import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import type { User } from '../users/entities/user.entity.js';
import type { Role } from '../common/request/role.enum.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { TokenPair } from './dto/token-response.dto.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Session, type SessionEndReason } from './entities/session.entity.js';
import { IdentityCache } from './identity-cache.js';
import { spendOneTimeTokens } from './one-time-tokens.service.js';
import { TokensService } from './tokens.service.js';
import { UsersService } from '../users/users.service.js';

/** A session that has neither been ended nor run out. */
const LIVE = 'session.revokedAt IS NULL AND session.expiresAt > :now';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const USER_COLUMNS = 'u.id, u.email, u.name, u.roles, u.email_verified_at, u.created_at, u.updated_at';

/** One indexed lookup per request: the session is live and the user exists, with the user's current state. */
const IDENTITY_SQL = `
  SELECT ${USER_COLUMNS}, s.expires_at
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL`;

/** How many spent refresh tokens per session are recognised as such (older ones are merely invalid). */
const SPENT_HASHES_KEPT = 16;

/**
 * A rotation in one statement: it matches only while the presented token is the session's current
 * one (the row lock makes concurrent rotations of one token serialise, and all but the first match
 * nothing), renews the idle expiry without passing the absolute one, and answers the user. The reuse
 * window is measured on the database's clock alone: `rotated_at` is read once the row lock is held
 * (`rotation` is evaluated on the locked row), so a rotation held up by a lock or a slow database
 * starts its window when it commits, not when the request came in. Everything compared with the app's
 * clock (the token's issue time, `last_used_at`, `expires_at`) is the app's `now` ($5).
 */
const ROTATE_SQL = `
  WITH locked AS MATERIALIZED (
    SELECT s.id FROM sessions s
    WHERE s.id = $1 AND s.refresh_token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > $5
    FOR UPDATE
  ), rotation AS MATERIALIZED (
    SELECT locked.id, clock_timestamp() AS at FROM locked
  )
  UPDATE sessions s SET
    refresh_token_hash = $3, previous_token_hash = s.refresh_token_hash, generation = s.generation + 1,
    spent_token_hashes = (s.refresh_token_hash::text || s.spent_token_hashes)[1:${SPENT_HASHES_KEPT}],
    rotated_at = r.at, successor_sealed = $4, last_used_at = $5,
    expires_at = LEAST($6::timestamptz, s.absolute_expires_at),
    user_agent = COALESCE($7, s.user_agent), ip = COALESCE($8, s.ip)
  FROM rotation r, users u
  WHERE s.id = r.id AND u.id = s.user_id AND u.disabled_at IS NULL
  RETURNING s.generation, ${USER_COLUMNS}`;

/**
 * The live session under its row lock, with its user, and whether its last rotation is within the
 * reuse window on the database's clock, read after the lock is granted.
 */
const LOCK_SQL = `
  WITH locked AS MATERIALIZED (
    SELECT s.* FROM sessions s WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 FOR UPDATE
  )
  SELECT l.refresh_token_hash, l.previous_token_hash, l.spent_token_hashes, l.generation, l.rotated_at, l.successor_sealed,
    $3::int > 0 AND clock_timestamp() - l.rotated_at <= make_interval(secs => $3) AS in_reuse_window,
    ${USER_COLUMNS}
  FROM locked l JOIN users u ON u.id = l.user_id
  WHERE u.disabled_at IS NULL`;

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  roles: Role[];
  email_verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function userFrom(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    emailVerifiedAt: row.email_verified_at,
    disabledAt: null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as User;
}

interface LockedRow extends UserRow {
  refresh_token_hash: string;
  previous_token_hash: string | null;
  spent_token_hashes: string[];
  generation: number;
  rotated_at: Date | null;
  successor_sealed: string | null;
  in_reuse_window: boolean | null;
}

/** What a retry within the reuse window is handed again; `issuedAt` (ms, app clock) is the access token's iat. */
interface SealedSuccessor {
  refreshToken: string;
  issuedAt?: number;
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
    private readonly users: UsersService,
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
      expiresAt: new Date(Math.min(this.idleDeadline(now).getTime(), absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
    });
    return this.pair(user, sessionId, refresh.token, 0, now);
  }

  /**
   * Spends a refresh token for the next pair, under a row lock so concurrent calls see one successor.
   * Within the reuse window the token just spent gets that same successor again (tabs racing);
   * any other spent token means a copy is in someone else's hands, and the whole session ends.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<{ pair: TokenPair; user: User }> {
    const presented = this.tokens.readRefreshToken(refreshToken);
    const outcome: RefreshOutcome = presented
      ? ((await this.rotate(this.dataSource.manager, presented.sessionId, presented.hash, client)) ??
        (await this.dataSource.transaction((manager) => this.settle(manager, presented.sessionId, presented.hash, client))))
      : { kind: 'invalid' };
    switch (outcome.kind) {
      case 'issued':
        return outcome;
      case 'reused':
        throw new ApiException('refresh_token_reused', 'Refresh token was already used; the session has been ended');
      case 'invalid':
        throw new ApiException('refresh_token_invalid', 'Invalid or expired refresh token');
    }
  }

  /** The caller behind an access token, or null when its session has ended or its user is gone. */
  async findIdentity(sessionId: string, userId: string): Promise<AuthUser | null> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
    const cached = this.cache.get(sessionId, userId);
    if (cached) return cached;
    const mark = this.cache.mark;
    const rows: Array<UserRow & { expires_at: Date }> = await this.dataSource.query(IDENTITY_SQL, [sessionId, new Date()]);
    const row = rows[0];
    // The token's user must own the session (compared here so the lookup stays on the primary key).
    if (!row || row.id !== userId) return null;
    const identity: AuthUser = { sessionId, user: userFrom(row) };
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
      if (ended === 0) throw new ApiException('not_found', 'Session not found');
      const type = reason === 'logout' ? 'logout' : 'session_ended';
      await this.audit.record(manager, { type, userId, client, detail: { sessionId } });
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
      // The user row first, as every flow that spends mailed links locks it: an email change being
      // requested meanwhile either commits first (and its link is spent below) or sees its session ended.
      await this.users.lockById(manager, userId);
      const ended = await this.endAll(manager, userId, 'logout_all');
      // A pending email change was asked for from one of these sessions: it ends with them.
      await spendOneTimeTokens(manager, userId, 'change_email');
      await this.audit.record(manager, { type: 'logout_all', userId, client, detail: { sessions: ended } });
    });
  }

  /** Whether the session is live, read in the caller's transaction, past the identity cache. */
  isLive(manager: EntityManager, sessionId: string): Promise<boolean> {
    return manager
      .createQueryBuilder(Session, 'session')
      .where('session.id = :sessionId', { sessionId })
      .andWhere(LIVE, { now: new Date() })
      .getExists();
  }

  /** The common case, one statement: the presented token is the current one. Undefined when it is not. */
  private async rotate(
    manager: EntityManager,
    sessionId: string,
    hash: string,
    client: ClientInfo,
  ): Promise<RefreshOutcome | undefined> {
    const next = this.tokens.newRefreshToken(sessionId);
    const now = new Date();
    const successor: SealedSuccessor = { refreshToken: next.token, issuedAt: now.getTime() };
    const sealed = this.config.refresh.reuseWindow > 0 ? this.tokens.seal(successor) : null;
    const [rows]: [Array<UserRow & { generation: number }>, number] = await manager.query(ROTATE_SQL, [
      sessionId,
      hash,
      next.hash,
      sealed,
      now,
      this.idleDeadline(now),
      client.userAgent,
      client.ip,
    ]);
    const row = rows[0];
    if (!row) return undefined;
    const user = userFrom(row);
    // Signed at the sealed issue time, as a retry within the window will be: the same access token.
    return { kind: 'issued', user, pair: this.pair(user, sessionId, next.token, row.generation, now) };
  }

  /**
   * Every other case, under the session's row lock: a token that became current meanwhile is rotated;
   * within the reuse window the token just spent gets the same successor pair again (tabs racing);
   * any other spent token means a copy is in someone else's hands, and the whole session ends. A token
   * this session never issued is merely refused: knowing a session id must not be enough to end it.
   */
  private async settle(manager: EntityManager, sessionId: string, hash: string, client: ClientInfo): Promise<RefreshOutcome> {
    const now = new Date();
    const rows: LockedRow[] = await manager.query(LOCK_SQL, [sessionId, now, this.config.refresh.reuseWindow]);
    const session = rows[0];
    if (!session) return { kind: 'invalid' };
    const user = userFrom(session);

    if (this.tokens.sameHash(session.refresh_token_hash, hash)) {
      return (await this.rotate(manager, sessionId, hash, client)) ?? { kind: 'invalid' };
    }

    if (this.tokens.sameHash(session.previous_token_hash, hash) && session.in_reuse_window && session.rotated_at) {
      const successor = this.tokens.unseal<SealedSuccessor>(session.successor_sealed ?? '');
      if (successor) {
        // Sealed by an earlier version, which signed that pair at rotated_at.
        const issuedAt = successor.issuedAt === undefined ? session.rotated_at : new Date(successor.issuedAt);
        return { kind: 'issued', user, pair: this.pair(user, sessionId, successor.refreshToken, session.generation, issuedAt) };
      }
    }

    if (!session.spent_token_hashes.some((spent) => this.tokens.sameHash(spent, hash))) return { kind: 'invalid' };
    await manager.update(Session, sessionId, { revokedAt: now, revokedReason: 'refresh_reuse', successorSealed: null });
    this.cache.forgetSession(sessionId, manager);
    await this.audit.record(manager, { type: 'refresh_reuse_detected', userId: user.id, client, detail: { sessionId } });
    return { kind: 'reused' };
  }

  /** The pair of one rotation; the same inputs give the same access token. */
  private pair(user: User, sessionId: string, refreshToken: string, generation: number, issuedAt: Date): TokenPair {
    const accessToken = this.tokens.signAccessToken({ userId: user.id, sessionId, roles: user.roles, generation, issuedAt });
    return { accessToken, refreshToken, expiresIn: this.config.jwt.accessTtl };
  }

  /** When a refresh token used at `from` runs out if unused (capped by the session's absolute end). */
  private idleDeadline(from: Date): Date {
    return new Date(from.getTime() + this.config.refresh.idleTtl * 1000);
  }

  private async revoke(
    manager: EntityManager,
    reason: SessionEndReason,
    scope: string,
    parameters: Record<string, string>,
  ): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: new Date(), revokedReason: reason, successorSealed: null })
      .where(`${scope} AND revoked_at IS NULL AND expires_at > :now`, { ...parameters, now: new Date() })
      .execute();
    return result.affected ?? 0;
  }
}
