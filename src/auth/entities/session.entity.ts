import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { AuthMethod } from '../../common/request/auth-methods.js';
import { User } from '../../users/entities/user.entity.js';

/** One login: a chain of rotating refresh tokens and the access tokens issued from it. */
@Entity('sessions')
// Plain, not partial: a partial index on "revoked_at IS NULL" tempted the planner away from the
// primary key on per-session lookups, scanning every live session of a user instead.
@Index('IDX_sessions_user', ['userId'])
// The purge's ways in; on columns a rotation never writes, so a refresh stays a HOT update (see the migration).
@Index('IDX_sessions_revoked_at', ['revokedAt'], { where: `"revoked_at" IS NOT NULL` })
@Index('IDX_sessions_absolute_expires_at', ['absoluteExpiresAt'])
export class Session {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_sessions' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: User;

  /** SHA-256 (hex) of the current refresh token; the token itself is never stored. */
  @Column({ name: 'refresh_token_hash', type: 'char', length: 64 })
  refreshTokenHash: string;

  /** Hash of the token spent by the last rotation, honoured for the reuse window only. */
  @Column({ name: 'previous_token_hash', type: 'char', length: 64, nullable: true })
  previousTokenHash: string | null;

  /**
   * Before 1764500000001: the hashes of the last spent refresh tokens, as the previous release writes
   * them. No longer written; read so tokens spent before the upgrade still count as reuse.
   */
  @Column({ name: 'spent_token_hashes', type: 'text', array: true, default: () => `'{}'` })
  spentTokenHashes: string[];

  /**
   * Fingerprints (first 64 bits of the hash, as bigint) of the last spent refresh tokens, newest first:
   * presenting one of them is theft. Bounded in number and 8 bytes each, so the row stays small.
   */
  @Column({ name: 'spent_token_fingerprints', type: 'bigint', array: true, default: () => `'{}'` })
  spentTokenFingerprints: string[];

  /** How the login that opened the session was proven; every access token of the session carries it as `amr`. */
  @Column({ type: 'text', array: true, default: () => `'{pwd}'` })
  amr: AuthMethod[];

  /** How many times the refresh token has rotated. */
  @Column({ type: 'integer', default: 0 })
  generation: number;

  /** On the database's clock, and only for measuring the reuse window against it; the app's clock sets the other times. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /** The pair handed out by the last rotation (refresh token and issue time), encrypted, so a racing tab can be given the same one. */
  @Column({ name: 'successor_sealed', type: 'text', nullable: true })
  successorSealed: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  /** When the refresh token runs out if unused: the idle timeout, capped by the absolute end. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** The absolute end of the session, set at login; rotation never moves it. */
  @Column({ name: 'absolute_expires_at', type: 'timestamptz' })
  absoluteExpiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: SessionEndReason | null;
}

export type SessionEndReason =
  | 'logout'
  | 'logout_all'
  | 'ended_by_user'
  | 'ended_by_operator'
  | 'ended_by_admin'
  | 'refresh_reuse'
  | 'password_changed'
  | 'password_reset'
  | 'account_disabled'
  | 'mfa_enabled'
  | 'mfa_cleared';
