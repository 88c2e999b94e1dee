import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_EVENT_TYPES = [
  'register',
  'login_success',
  'login_failure',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_ended',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  'email_verification_requested',
  'email_verified',
  'email_change_requested',
  'email_changed',
  'account_deleted',
  'account_disabled',
  'account_enabled',
  'roles_changed',
  'signing_key_created',
  'signing_key_revoked',
  'account_created',
  'account_unlocked',
  'sessions_ended',
  'introspection_client_added',
  'introspection_client_removed',
  'retention_purge',
  'totp_enabled',
  'totp_disabled',
  'recovery_codes_regenerated',
  'mfa_cleared_by_admin',
  'passkey_added',
  'passkey_renamed',
  'passkey_removed',
  'sessions_viewed_by_admin',
  'username_changed',
  'identity_linked',
  'identity_unlinked',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * A security event. No foreign key on purpose: the history of a deleted account outlives it.
 * `detail` is small and never holds a secret (no password, token or hash).
 */
@Entity('audit_events')
@Index('IDX_audit_events_user_time', ['userId', 'createdAt'])
@Index('IDX_audit_events_created_at', ['createdAt'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_audit_events' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 40 })
  type: AuditEventType;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  detail: Record<string, string | number | boolean | string[] | null>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
