import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PooledStatements, type PooledStatement } from '../common/database/pooled-statements.js';
import type { AuthMethod } from '../common/request/auth-methods.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { User } from '../users/entities/user.entity.js';
import { userColumns, userFromRow, type UserRow } from '../users/entities/user-row.js';
import { Session, type SessionEndReason } from './entities/session.entity.js';

/** A session that has neither been ended nor run out. */
const LIVE = 'session.revokedAt IS NULL AND session.expiresAt > :now';

/**
 * How many spent refresh tokens per session are recognised as such (older ones are merely invalid):
 * at a refresh every 15 minutes, a copy replayed up to 4 hours later still ends the session.
 */
const SPENT_TOKENS_KEPT = 16;

/**
 * A spent token is remembered by the first 64 bits of its hash (8 bytes, not a 64-character string),
 * so 16 of them keep the row ~1 KB smaller. Still meaningful: the current and previous tokens are
 * compared in full first, and a token this session never issued would have to hit one of 16 unknown
 * 64-bit values (a chance of 16 in 2^64 per guess) to end the session.
 */
const fingerprint = (hexHash: string) => `('x' || left(${hexHash}, 16))::bit(64)::bigint`;

/** When a refresh token used at `from` runs out if unused (the session's absolute end caps it further). */
export function idleDeadline(from: Date, idleTtlSeconds: number): Date {
  return new Date(from.getTime() + idleTtlSeconds * 1000);
}

/** Session $1, live at $2, of a user who exists and is not disabled. */
const LIVE_SESSION_OF_ACTIVE_USER = `
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL`;

/** One indexed lookup per request: the session is live and the user exists, with the user's current state. */
const IDENTITY: PooledStatement = {
  name: 'auth_session_identity',
  text: `SELECT ${userColumns('u')}, s.expires_at, s.amr ${LIVE_SESSION_OF_ACTIVE_USER}`,
};

/** The live session's current refresh token (its hash, when it was issued, when it runs out), with its active user. */
const REFRESH_STATE_SQL = `SELECT ${userColumns('u')}, s.refresh_token_hash, s.last_used_at, s.expires_at ${LIVE_SESSION_OF_ACTIVE_USER}`;

/**
 * A rotation in one statement: it matches only while the presented token is the session's current
 * one (the row lock makes concurrent rotations of one token serialise, and all but the first match
 * nothing), renews the idle expiry without passing the absolute one, and answers the user. The reuse
 * window is measured on the database's clock alone: `rotated_at` is read once the row lock is held
 * (`rotation` is evaluated on the locked row), so a rotation held up by a lock or a slow database
 * starts its window when it commits, not when the request came in. Everything compared with the app's
 * clock (the token's issue time, `last_used_at`, `expires_at`) is the app's `now` ($5).
 */
const ROTATE: PooledStatement = {
  name: 'auth_session_rotate',
  text: `
  WITH locked AS MATERIALIZED (
    SELECT s.id FROM sessions s
    WHERE s.id = $1 AND s.refresh_token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > $5
    FOR UPDATE
  ), rotation AS MATERIALIZED (
    SELECT locked.id, clock_timestamp() AS at FROM locked
  )
  UPDATE sessions s SET
    refresh_token_hash = $3, previous_token_hash = s.refresh_token_hash, generation = s.generation + 1,
    spent_token_fingerprints = (${fingerprint('s.refresh_token_hash')} || s.spent_token_fingerprints)[1:${SPENT_TOKENS_KEPT}],
    rotated_at = r.at, successor_sealed = $4, last_used_at = $5,
    expires_at = LEAST($6::timestamptz, s.absolute_expires_at),
    user_agent = COALESCE($7, s.user_agent), ip = COALESCE($8, s.ip)
  FROM rotation r, users u
  WHERE s.id = r.id AND u.id = s.user_id AND u.disabled_at IS NULL
  RETURNING s.generation, s.amr, ${userColumns('u')}`,
};

/**
 * The live session under its row lock, with its user, whether its last rotation is within the reuse
 * window on the database's clock (read after the lock is granted), and whether the presented token
 * ($4, its hash) is one of the session's spent ones (by fingerprint, or in full as the previous
 * release kept them).
 */
const LOCK_SQL = `
  WITH locked AS MATERIALIZED (
    SELECT s.* FROM sessions s WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 FOR UPDATE
  )
  SELECT l.refresh_token_hash, l.previous_token_hash, (${fingerprint('$4::text')} = ANY(l.spent_token_fingerprints)
      OR $4::text = ANY(l.spent_token_hashes)) AS presented_spent,
    l.generation, l.amr, l.rotated_at, l.successor_sealed,
    $3::int > 0 AND clock_timestamp() - l.rotated_at <= make_interval(secs => $3) AS in_reuse_window,
    ${userColumns('u')}
  FROM locked l JOIN users u ON u.id = l.user_id
  WHERE u.disabled_at IS NULL`;

interface LockedRow extends UserRow {
  refresh_token_hash: string;
  previous_token_hash: string | null;
  presented_spent: boolean;
  generation: number;
  amr: AuthMethod[];
  rotated_at: Date | null;
  successor_sealed: string | null;
  in_reuse_window: boolean | null;
}

/** A live session under its row lock, as the rotation rules need it. */
export interface LockedSession {
  user: User;
  refreshTokenHash: string;
  previousTokenHash: string | null;
  /** The presented token is one this session spent (by its fingerprint; see SPENT_TOKENS_KEPT). */
  presentedSpent: boolean;
  generation: number;
  amr: AuthMethod[];
  rotatedAt: Date | null;
  successorSealed: string | null;
  /** The last rotation is within the reuse window, on the database's clock. */
  inReuseWindow: boolean;
}

export type NewSession = Pick<
  Session,
  | 'id'
  | 'userId'
  | 'refreshTokenHash'
  | 'userAgent'
  | 'ip'
  | 'createdAt'
  | 'lastUsedAt'
  | 'expiresAt'
  | 'absoluteExpiresAt'
  | 'amr'
>;

/** A live session's current refresh token, as introspection reports it. */
export interface RefreshTokenState {
  user: User;
  refreshTokenHash: string;
  /** The last login or rotation: when the current refresh token was issued. */
  issuedAt: Date;
  /** When the token runs out unused: the idle deadline, capped by the session's absolute end. */
  expiresAt: Date;
}

/** One rotation of a session's refresh token: the presented token's hash, and what replaces it. */
export interface Rotation {
  sessionId: string;
  presentedHash: string;
  nextHash: string;
  /** The successor sealed for a retry within the reuse window; null when there is no window. */
  sealedSuccessor: string | null;
  now: Date;
  idleDeadline: Date;
  client: ClientInfo;
}

/**
 * Up to $2 sessions that ended before $1: revoked then, or past their absolute end then. Both through an
 * index on a column a rotation never writes (see session.entity.ts); the second part leaves out what the
 * first covers, so no row is counted twice. A session that ran out unused (idle) is found by its absolute
 * end: it stays up to SESSION_MAX_TTL − SESSION_IDLE_TTL longer than the retention, which an index on
 * the rotated expires_at would have cost every refresh its HOT update to avoid.
 */
const PURGE_ENDED = `
  DELETE FROM sessions WHERE id IN (
    SELECT id FROM (
      (SELECT id FROM sessions WHERE revoked_at < $1 ORDER BY revoked_at LIMIT $2)
      UNION ALL
      (SELECT id FROM sessions WHERE absolute_expires_at < $1 AND (revoked_at IS NULL OR revoked_at >= $1)
        ORDER BY absolute_expires_at LIMIT $2)
    ) due LIMIT $2)`;

/** The sessions table: its SQL and its row locks. The rules for using them live in the services. */
@Injectable()
export class SessionRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly statements: PooledStatements,
  ) {}

  async insert(manager: EntityManager, session: NewSession): Promise<void> {
    await manager.insert(Session, session);
  }

  /** The live session's user, and until when the session runs if unused; null when it has ended or the user is disabled or gone. */
  async findIdentity(sessionId: string, now: Date): Promise<{ user: User; expiresAt: Date; amr: AuthMethod[] } | null> {
    const rows = await this.statements.rows<UserRow & { expires_at: Date; amr: AuthMethod[] }>(IDENTITY, [sessionId, now]);
    const row = rows[0];
    return row ? { user: userFromRow(row), expiresAt: row.expires_at, amr: row.amr } : null;
  }

  /** Reads the live session's refresh-token state, without a lock or a write; null when it has ended or the user is disabled or gone. */
  async findRefreshState(sessionId: string, now: Date): Promise<RefreshTokenState | null> {
    const rows: Array<UserRow & { refresh_token_hash: string; last_used_at: Date; expires_at: Date }> =
      await this.dataSource.query(REFRESH_STATE_SQL, [sessionId, now]);
    const row = rows[0];
    return row
      ? {
          user: userFromRow(row),
          refreshTokenHash: row.refresh_token_hash,
          issuedAt: row.last_used_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  /**
   * Rotates when the presented token is the current one; undefined when it is not (or the session is
   * not live). Without `manager` (the common case, a statement of its own) straight on the pool and
   * prepared; with one, in the caller's transaction.
   */
  async rotate(
    rotation: Rotation,
    manager?: EntityManager,
  ): Promise<{ user: User; generation: number; amr: AuthMethod[] } | undefined> {
    const { sessionId, presentedHash, nextHash, sealedSuccessor, now, idleDeadline, client } = rotation;
    const values = [sessionId, presentedHash, nextHash, sealedSuccessor, now, idleDeadline, client.userAgent, client.ip];
    type Row = UserRow & { generation: number; amr: AuthMethod[] };
    const rows: Row[] = manager
      ? (await manager.query<[Row[], number]>(ROTATE.text, values))[0]
      : await this.statements.rows<Row>(ROTATE, values);
    const row = rows[0];
    return row && { user: userFromRow(row), generation: row.generation, amr: row.amr };
  }

  /** Locks the live session (inside the caller's transaction); undefined when it is not live or its user is disabled. */
  async lockLive(
    manager: EntityManager,
    sessionId: string,
    presentedHash: string,
    now: Date,
    reuseWindowSeconds: number,
  ): Promise<LockedSession | undefined> {
    const rows: LockedRow[] = await manager.query(LOCK_SQL, [sessionId, now, reuseWindowSeconds, presentedHash]);
    const row = rows[0];
    return (
      row && {
        user: userFromRow(row),
        refreshTokenHash: row.refresh_token_hash,
        previousTokenHash: row.previous_token_hash,
        presentedSpent: row.presented_spent === true,
        generation: row.generation,
        amr: row.amr,
        rotatedAt: row.rotated_at,
        successorSealed: row.successor_sealed,
        inReuseWindow: row.in_reuse_window === true,
      }
    );
  }

  /** Deletes up to `limit` sessions that ended before `cutoff`, in the caller's transaction; how many. */
  async purgeEndedBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const [, deleted] = await manager.query<[unknown[], number]>(PURGE_ENDED, [cutoff, limit]);
    return deleted;
  }

  listLive(userId: string, now: Date): Promise<Session[]> {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .where('session.userId = :userId', { userId })
      .andWhere(LIVE, { now })
      .orderBy('session.lastUsedAt', 'DESC')
      .getMany();
  }

  /** Whether the session is live, read in the caller's transaction. */
  isLive(manager: EntityManager, sessionId: string, now: Date): Promise<boolean> {
    return manager
      .createQueryBuilder(Session, 'session')
      .where('session.id = :sessionId', { sessionId })
      .andWhere(LIVE, { now })
      .getExists();
  }

  /** Whether the session is live and its login happened after `since`, read in the caller's transaction. */
  isLiveSince(manager: EntityManager, sessionId: string, since: Date, now: Date): Promise<boolean> {
    return manager
      .createQueryBuilder(Session, 'session')
      .where('session.id = :sessionId', { sessionId })
      .andWhere('session.createdAt > :since', { since })
      .andWhere(LIVE, { now })
      .getExists();
  }

  /** Ends one live session of the user; how many ended (0 or 1). */
  endOne(manager: EntityManager, userId: string, sessionId: string, reason: SessionEndReason): Promise<number> {
    return this.end(manager, reason, 'id = :sessionId AND user_id = :userId', { sessionId, userId });
  }

  /** Ends every live session of the user but `except`; how many ended. */
  endAllOf(manager: EntityManager, userId: string, reason: SessionEndReason, except?: string): Promise<number> {
    return except
      ? this.end(manager, reason, 'user_id = :userId AND id <> :except', { userId, except })
      : this.end(manager, reason, 'user_id = :userId', { userId });
  }

  /** Adds a method to the live session's `amr` (its next tokens carry it); whether the session was live. */
  /** Removes `method` from the amr of the user's live sessions; how many changed. */
  async dropMethod(manager: EntityManager, userId: string, method: AuthMethod, now: Date): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ amr: () => `array_remove(amr, :method)` })
      .where(`user_id = :userId AND revoked_at IS NULL AND expires_at > :now AND :method = ANY(amr)`, { userId, method, now })
      .execute();
    return result.affected ?? 0;
  }

  async addMethod(manager: EntityManager, sessionId: string, method: AuthMethod, now: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ amr: () => `array_append(amr, :method)` })
      .where(`id = :sessionId AND revoked_at IS NULL AND expires_at > :now AND NOT (:method = ANY(amr))`, {
        sessionId,
        method,
        now,
      })
      .execute();
    return (result.affected ?? 0) > 0 || this.isLive(manager, sessionId, now);
  }

  /** Ends a session whose spent token came back (the session lock is held by the caller). */
  async endForReuse(manager: EntityManager, sessionId: string, now: Date): Promise<void> {
    await manager.update(Session, sessionId, { revokedAt: now, revokedReason: 'refresh_reuse', successorSealed: null });
  }

  private async end(
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
