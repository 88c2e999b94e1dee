import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export type OneTimeTokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** A mailed, single-use token (verify, reset, email change), kept only as a hash. */
@Entity('one_time_tokens')
@Index('IDX_one_time_tokens_user_purpose', ['userId', 'purpose'], { where: `"used_at" IS NULL` })
@Index('IDX_one_time_tokens_expires_at', ['expiresAt'])
@Index('IDX_one_time_tokens_used_at', ['usedAt'], { where: `"used_at" IS NOT NULL` })
export class OneTimeToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_one_time_tokens' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_one_time_tokens_user' })
  user?: User;

  @Column({ type: 'varchar', length: 20 })
  purpose: OneTimeTokenPurpose;

  /** SHA-256 (hex) of the token. */
  @Index('UQ_one_time_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /**
   * The address the token was mailed to: it only counts while that is still the account's. Null for an
   * account without an address (an operator's reset link, handed over another way; a first address being added).
   */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  /** For email change: the address to switch to. */
  @Column({ name: 'new_email', type: 'varchar', length: 254, nullable: true })
  newEmail: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
