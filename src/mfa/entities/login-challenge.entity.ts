import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { AuthMethod } from '../../common/request/auth-methods.js';
import { User } from '../../users/entities/user.entity.js';

/** The `mfaToken` of a login whose password was right and whose second step is pending; kept only as a hash. */
@Entity('login_challenges')
@Index('IDX_login_challenges_expires_at', ['expiresAt'])
@Index('IDX_login_challenges_used_at', ['usedAt'], { where: `"used_at" IS NOT NULL` })
export class LoginChallenge {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_login_challenges' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_login_challenges_user' })
  user?: User;

  /** SHA-256 (hex) of the mfaToken. */
  @Index('UQ_login_challenges_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /** The login asked for cookie mode: the second step must too, so its refresh token stays out of script's reach. */
  @Column({ name: 'cookie_mode', type: 'boolean' })
  cookieMode: boolean;

  /** SHA-256 of the password hash the login was checked against: a password changed or reset meanwhile kills it. */
  @Column({ name: 'password_digest', type: 'char', length: 64 })
  passwordDigest: string;

  /** Wrong codes sent with this token so far. */
  /** How the first step was made (`pwd`, or `fed` after a provider sign-in): the session's amr starts with it. */
  @Column({ name: 'first_method', type: 'varchar', length: 16, default: 'pwd' })
  firstMethod: AuthMethod;

  @Column({ type: 'smallint', default: 0 })
  attempts: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
