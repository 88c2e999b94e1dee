import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export type WebAuthnChallengePurpose = 'register' | 'login';

/**
 * A challenge handed to a browser for one passkey ceremony, kept only as a hash. Spent by its first
 * use, whatever the outcome, and good for five minutes.
 */
@Entity('webauthn_challenges')
@Index('IDX_webauthn_challenges_expires_at', ['expiresAt'])
@Index('IDX_webauthn_challenges_used_at', ['usedAt'], { where: `"used_at" IS NOT NULL` })
export class WebAuthnChallenge {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_webauthn_challenges' })
  id: string;

  /** SHA-256 (hex) of the challenge as the browser sends it back (base64url). */
  @Index('UQ_webauthn_challenges_hash', { unique: true })
  @Column({ name: 'challenge_hash', type: 'char', length: 64 })
  challengeHash: string;

  @Column({ type: 'varchar', length: 10 })
  purpose: WebAuthnChallengePurpose;

  /** Who asked to register; none for a sign-in, where the passkey names its user. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_webauthn_challenges_user' })
  user?: User;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
