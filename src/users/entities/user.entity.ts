import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RequestUser } from '../../common/request/auth-user.js';
import { Role } from '../../common/request/role.enum.js';

@Entity('users')
@Index('UQ_users_email', ['email'], { unique: true })
// Newest-first pages of the admin list, read backwards: (created_at DESC, id DESC).
@Index('IDX_users_created_at_id', ['createdAt', 'id'])
// Trigram (GIN) indexes for the admin search's ILIKE '%term%'; TypeORM cannot describe them, the migration makes them.
@Index('IDX_users_email_trgm', { synchronize: false })
@Index('IDX_users_name_trgm', { synchronize: false })
@Index('IDX_users_username_trgm', { synchronize: false })
@Index('UQ_users_username_key', ['usernameKey'], { unique: true })
@Check('CHK_users_email_lower', `"email" = lower("email")`)
@Check('CHK_users_username_key', `("username" IS NULL) = ("username_key" IS NULL)`)
@Check('CHK_users_roles', `"roles" <@ ARRAY['user', 'admin']::text[] AND cardinality("roles") > 0`)
export class User implements RequestUser {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_users' })
  id: string;

  /**
   * Always stored trimmed and lower-cased; the check constraint makes the unique index case-insensitive.
   * Null for an account with a username alone, or made by a provider sign-in that gave no verified email.
   */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  /** The spelling given (NFKC), for display; unique through `usernameKey`. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  username: string | null;

  /** `username` lower-cased (see `users/username.ts`): what makes a username unique and what login looks up. */
  @Column({ name: 'username_key', type: 'varchar', length: 64, nullable: true, select: false })
  usernameKey: string | null;

  /** Null for an account made by a provider sign-in that never set a password: no password opens it. */
  @Column({ name: 'password_hash', type: 'varchar', length: 100, nullable: true, select: false })
  passwordHash: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ type: 'text', array: true, default: () => `'{user}'` })
  roles: Role[];

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** Set while an admin has disabled the account: no login, refresh or access token works. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
